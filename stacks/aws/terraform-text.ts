/** Terraform reads "${" and "%{" in JSON strings as templates; this text is meant literally. */
export function terraformLiteral(text: string): string {
  // Replacer functions, not strings: in a replacement string "$$" means a single "$".
  return text.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}
