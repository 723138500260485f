// A small IAM policy evaluator for the subset of the policy language burst's operator policy
// uses, so a test can check the document against a table of allowed and denied calls offline
// (moto accepts every call whatever the policy). Semantics follow AWS's policy evaluation logic
// for a single identity policy: an explicit Deny wins, else any matching Allow allows, else the
// call is implicitly denied.
//
// Supported: Effect Allow/Deny; Action/NotAction and Resource/NotResource with * and ? wildcards
// (actions case-insensitive, resources case-sensitive); Condition operators StringEquals,
// StringNotEquals, StringEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike, Bool,
// Null, each with the ForAnyValue:/ForAllValues: set prefixes and the IfExists suffix. Anything
// else (policy variables, other operators) is refused with an error, never guessed.

export type ContextValue = string | readonly string[];

/** One authorization check: an action on one resource ARN with the request context AWS builds for it. */
export interface Check {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, ContextValue>>;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface Policy {
  readonly Version: string;
  readonly Statement: readonly Statement[];
}

export interface Decision {
  readonly allowed: boolean;
  /** "explicit-deny" | "allow" | "implicit-deny" */
  readonly reason: "explicit-deny" | "allow" | "implicit-deny";
  /** Sids of the statements that decided (the Deny, or every matching Allow). */
  readonly statements: readonly string[];
}

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : value;

/** IAM wildcard match: `*` any run of characters, `?` one character, everything else literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/** ARN match: the six colon-separated parts compared one by one (wildcards do not cross a colon before the resource part). */
function arnLike(pattern: string, arn: string): boolean {
  const p = pattern.split(":");
  const a = arn.split(":");
  if (p.length < 6 || a.length < 6) return false;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(":")];
  const [ph, ah] = [head(p), head(a)];
  return ph.every((part, i) => wildcardMatch(part, ah[i] ?? ""));
}

type Matcher = (policyValue: string, contextValue: string) => boolean;

const baseOperators: Record<string, { match: Matcher; negated: boolean }> = {
  StringEquals: { match: (p, c) => p === c, negated: false },
  StringNotEquals: { match: (p, c) => p === c, negated: true },
  StringEqualsIgnoreCase: { match: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
  StringLike: { match: (p, c) => wildcardMatch(p, c), negated: false },
  StringNotLike: { match: (p, c) => wildcardMatch(p, c), negated: true },
  ArnEquals: { match: (p, c) => p === c, negated: false },
  ArnLike: { match: arnLike, negated: false },
  Bool: { match: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
};

/** Context lookup: condition key names are case-insensitive. */
function lookup(context: Readonly<Record<string, ContextValue>>, key: string): readonly string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) if (name.toLowerCase() === wanted) return list(value);
  return undefined;
}

/** One condition operator block (e.g. "ForAnyValue:StringLike": { key: values }) against the context. */
export function conditionHolds(
  operatorName: string,
  block: Readonly<Record<string, string | readonly string[]>>,
  context: Readonly<Record<string, ContextValue>>,
): boolean {
  let name = operatorName;
  let set: "any" | "all" | undefined;
  if (name.startsWith("ForAnyValue:")) [set, name] = ["any", name.slice("ForAnyValue:".length)];
  else if (name.startsWith("ForAllValues:")) [set, name] = ["all", name.slice("ForAllValues:".length)];
  const ifExists = name.endsWith("IfExists");
  if (ifExists) name = name.slice(0, -"IfExists".length);

  return Object.entries(block).every(([key, raw]) => {
    const policyValues = list(raw);
    if (policyValues.some((v) => v.includes("${"))) throw new Error(`policy variables are not supported: ${key}`);
    const values = lookup(context, key);
    if (name === "Null") {
      if (set) throw new Error("Null takes no ForAnyValue/ForAllValues prefix");
      const absent = values === undefined || values.length === 0;
      return policyValues.some((v) => (v === "true") === absent);
    }
    const operator = baseOperators[name];
    if (!operator) throw new Error(`condition operator not supported by this evaluator: ${operatorName}`);
    const matchesOne = (contextValue: string) => {
      const hit = policyValues.some((p) => operator.match(p, contextValue));
      return operator.negated ? !hit : hit;
    };
    if (values === undefined || values.length === 0) {
      if (ifExists) return true;
      // ForAllValues holds vacuously over an empty set; ForAnyValue needs one value.
      if (set === "all") return true;
      if (set === "any") return false;
      // A missing key matches nothing; a negated operator's "not equal" then holds.
      return operator.negated;
    }
    if (set === "any") return values.some(matchesOne);
    if (set === "all") return values.every(matchesOne);
    if (values.length > 1) throw new Error(`${key} is multivalued: use ForAnyValue or ForAllValues with ${name}`);
    return matchesOne(values[0] as string);
  });
}

function statementApplies(statement: Statement, check: Check): boolean {
  const actionHit = (patterns: readonly string[]) => patterns.some((p) => wildcardMatch(p, check.action, true));
  if (statement.Action !== undefined && statement.NotAction !== undefined)
    throw new Error(`statement ${statement.Sid ?? "?"} has both Action and NotAction`);
  const actionMatches =
    statement.NotAction !== undefined ? !actionHit(list(statement.NotAction)) : actionHit(list(statement.Action));
  if (!actionMatches) return false;
  const resourceHit = (patterns: readonly string[]) => patterns.some((p) => wildcardMatch(p, check.resource));
  const resourceMatches =
    statement.NotResource !== undefined
      ? !resourceHit(list(statement.NotResource))
      : resourceHit(list(statement.Resource));
  if (!resourceMatches) return false;
  const context = check.context ?? {};
  return Object.entries(statement.Condition ?? {}).every(([operator, block]) =>
    conditionHolds(operator, block, context),
  );
}

export function evaluate(policy: Policy, check: Check): Decision {
  const applying = policy.Statement.filter((s) => statementApplies(s, check));
  const denies = applying.filter((s) => s.Effect === "Deny");
  if (denies.length > 0) return { allowed: false, reason: "explicit-deny", statements: denies.map((s) => s.Sid ?? "") };
  const allows = applying.filter((s) => s.Effect === "Allow");
  if (allows.length > 0) return { allowed: true, reason: "allow", statements: allows.map((s) => s.Sid ?? "") };
  return { allowed: false, reason: "implicit-deny", statements: [] };
}

/** A call AWS authorizes resource by resource (RunInstances checks the instance, its subnet, its AMI...): allowed only if every check is. */
export function evaluateAll(policy: Policy, checks: readonly Check[]): { allowed: boolean; denied: readonly Check[] } {
  const denied = checks.filter((check) => !evaluate(policy, check).allowed);
  return { allowed: denied.length === 0, denied };
}
