//go:build tools

// Package tools pins the Consul agent as a dependency of this module: `go install
// github.com/hashicorp/consul@vX` refuses Consul's own go.mod (it has replace
// directives), while a dependency's replace directives are simply ignored.
// scripts/setup/consul.sh builds it with `go build github.com/hashicorp/consul`.
package tools

import _ "github.com/hashicorp/consul"
