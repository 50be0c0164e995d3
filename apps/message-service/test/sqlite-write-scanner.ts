import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/** A write statement that reaches `StatementSync.get()` / `iterate()`, or whose uses cannot be followed. */
export interface UnsafeWrite {
  file: string;
  line: number;
  sql: string;
  problem: string;
}

/** The outcome of scanning files: what is unsafe, and how many write statements were seen at all. */
export interface WriteScan {
  files: number;
  writeStatements: number;
  unsafe: UnsafeWrite[];
}

const WRITE_KEYWORD = /\b(INSERT|UPDATE|DELETE|REPLACE)\b/i;
const STEP_ONCE = new Set(['get', 'iterate']);
const SOURCE = /\.(ts|mts|cts|js|mjs)$/;
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.nx', 'coverage']);

/**
 * Finds node:sqlite write statements (INSERT, UPDATE, DELETE, REPLACE, with or without
 * RETURNING) that go through `get()` or `iterate()`: those step once and never report the
 * commit's error, so a full disk acknowledges a write that was never stored. `run()`, `all()`
 * and `exec()` step to the end and throw. A prepared write must be used directly
 * (`db.prepare(sql).run()`) or kept in a variable or property whose uses can be read by name;
 * SQL the scanner cannot read (built at run time) counts as a write when it meets `get()`.
 */
export function scanSource(file: string, text: string): Omit<WriteScan, 'files'> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const constants = new Map<string, string>();
  const prepares: Array<{ call: ts.CallExpression; sql: string | undefined }> = [];
  const stepOnceReceivers: Array<{ name: string | undefined; node: ts.Node }> = [];

  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const value = sqlText(node.initializer, constants);
      if (value !== undefined) constants.set(node.name.text, value);
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if (method === 'prepare' && node.arguments.length > 0) {
        prepares.push({ call: node, sql: sqlText(node.arguments[0] as ts.Expression, constants) });
      }
      if (STEP_ONCE.has(method)) stepOnceReceivers.push({ name: lastName(node.expression.expression), node });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  let writeStatements = 0;
  const unsafe: UnsafeWrite[] = [];
  const report = (node: ts.Node, sql: string, problem: string): void => {
    unsafe.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, sql: sql.replace(/\s+/g, ' ').trim(), problem });
  };
  for (const { call, sql } of prepares) {
    const writes = sql === undefined || WRITE_KEYWORD.test(stripQuoted(sql));
    if (!writes) continue;
    if (sql !== undefined) writeStatements += 1;
    const shown = sql ?? '(SQL built at run time)';
    const parent = outer(call);
    if (ts.isPropertyAccessExpression(parent) && parent.expression === unwrapUp(call)) {
      if (STEP_ONCE.has(parent.name.text)) report(call, shown, `prepare(…).${parent.name.text}() on a write`);
      continue;
    }
    const name = bindingName(parent);
    if (name === undefined) {
      if (sql !== undefined) report(call, shown, 'a prepared write statement whose uses cannot be followed by name');
      continue;
    }
    for (const use of stepOnceReceivers) {
      if (use.name === name) report(use.node, shown, `${name}.${(use.node as ts.CallExpression).expression.getText().split('.').pop()}() on a write`);
    }
  }
  return { writeStatements, unsafe };
}

/** Scans every source file under `folders` (relative to `root`). */
export function scanFolders(root: string, folders: string[]): WriteScan {
  const result: WriteScan = { files: 0, writeStatements: 0, unsafe: [] };
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(join(folder, entry.name));
      } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        const path = join(folder, entry.name);
        const scanned = scanSource(relative(root, path), readFileSync(path, 'utf8'));
        result.files += 1;
        result.writeStatements += scanned.writeStatements;
        result.unsafe.push(...scanned.unsafe);
      }
    }
  };
  folders.forEach((folder) => walk(join(root, folder)));
  return result;
}

/** The text of a string literal, a template (substitutions as `?`), or a constant declared earlier. */
function sqlText(expression: ts.Expression, constants: Map<string, string>): string | undefined {
  const node = unwrapDown(expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((span) => `?${span.literal.text}`).join('');
  if (ts.isIdentifier(node)) return constants.get(node.text);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = sqlText(node.left, constants);
    const right = sqlText(node.right, constants);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  return undefined;
}

/** Quoted SQL strings ('update' as a value) are data, not statements. */
function stripQuoted(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, "''");
}

function unwrapDown(node: ts.Expression): ts.Expression {
  let current = node;
  while (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isNonNullExpression(current) || ts.isSatisfiesExpression(current)) {
    current = current.expression;
  }
  return current;
}

/** The outermost parenthesised / `as` / `!` wrapper around a node. */
function unwrapUp(node: ts.Node): ts.Node {
  let current = node;
  while (
    ts.isParenthesizedExpression(current.parent) ||
    ts.isAsExpression(current.parent) ||
    ts.isNonNullExpression(current.parent) ||
    ts.isSatisfiesExpression(current.parent)
  ) {
    current = current.parent;
  }
  return current;
}

function outer(node: ts.Node): ts.Node {
  return unwrapUp(node).parent;
}

/** The name a prepared statement is kept under: a variable, `this.x = …`, or `{ x: … }`. */
function bindingName(parent: ts.Node): string | undefined {
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && (ts.isIdentifier(parent.name) || ts.isStringLiteral(parent.name))) return parent.name.text;
  if (ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) return lastName(parent.left);
  return undefined;
}

/** `this.statements.upsert` → `upsert`; `insert` → `insert`; `x[key]` → the name of `x`. */
function lastName(expression: ts.Expression): string | undefined {
  const node = unwrapDown(expression);
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node)) return lastName(node.expression);
  return undefined;
}
