/**
 * What a student must not change, as comparable fingerprints: the hash of every test file, and
 * the declaration (.d.ts) signature of each graded function together with the types of its own
 * file that the signature uses (so widening `DistanceMatrix` counts as a change too). Signatures
 * come from TypeScript's per-file declaration emit without comments, so edited doc comments,
 * formatting and function bodies do not count; parameter names, types and return types do.
 */
import { createHash } from "node:crypto";
import ts from "typescript";

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

const declarationCache = new Map<string, string>();

/** Names of the top-level declarations in a .d.ts that a statement declares. */
function declaredNames(statement: ts.Statement): string[] {
  if (ts.isFunctionDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)
    || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) {
    return statement.name ? [statement.name.text] : [];
  }
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  }
  return [];
}

/** Every identifier mentioned inside a node. */
function identifiersIn(node: ts.Node, into: Set<string>): Set<string> {
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) into.add(n.text);
    n.forEachChild(visit);
  };
  visit(node);
  return into;
}

/**
 * The declaration text of `functions` in a source file, with the same-file types they use
 * (transitively), one normalised string per function; a missing function gives "(missing)".
 */
export function functionSignatures(sourceText: string, fileName: string, functions: readonly string[]): Record<string, string> {
  // One declaration emit per file content (several exercises share a file).
  const cacheKey = `${fileName}\0${sha256(sourceText)}`;
  let emitted = declarationCache.get(cacheKey);
  if (emitted === undefined) {
    emitted = ts.transpileDeclaration(sourceText, {
      fileName,
      compilerOptions: { removeComments: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext },
    }).outputText;
    if (declarationCache.size > 256) declarationCache.clear();
    declarationCache.set(cacheKey, emitted);
  }
  const file = ts.createSourceFile(`${fileName}.d.ts`, emitted, ts.ScriptTarget.ES2022, true);
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
  const byName = new Map<string, ts.Statement[]>();
  for (const statement of file.statements) {
    for (const name of declaredNames(statement)) byName.set(name, [...(byName.get(name) ?? []), statement]);
  }
  const result: Record<string, string> = {};
  for (const fn of functions) {
    const own = byName.get(fn);
    if (!own) {
      result[fn] = "(missing)";
      continue;
    }
    // The function's declarations, then the same-file types they mention, until nothing new is used.
    const included = new Set<ts.Statement>(own);
    const queue = [...own];
    while (queue.length > 0) {
      const statement = queue.pop()!;
      for (const id of identifiersIn(statement, new Set())) {
        for (const used of byName.get(id) ?? []) {
          if (!included.has(used) && !ts.isFunctionDeclaration(used)) {
            included.add(used);
            queue.push(used);
          }
        }
      }
    }
    result[fn] = file.statements
      .filter((s) => included.has(s))
      .map((s) => printer.printNode(ts.EmitHint.Unspecified, s, file).replace(/\s+/g, " ").trim())
      .join("\n");
  }
  return result;
}
