/**
 * Import cycles between modules: the strongly connected components (Tarjan) of the graph of
 * relative imports, type-only imports included (a type cycle still ties two modules' meaning
 * together, and it is how a layer ends up pointing back at the one above it).
 * @module
 */
import { findImports, tokenize } from "./scan-source.ts";

/** A module and the repository-relative modules it imports. */
export interface ModuleEdges {
  /** Repository-relative path, with forward slashes. */
  readonly file: string;
  /** Repository-relative paths of its relative imports (resolved). */
  readonly imports: readonly string[];
}

/**
 * Resolve the relative imports of a module's text.
 *
 * @param file repository-relative path of the module
 * @param source its text
 * @returns the module and its resolved relative imports (bare specifiers left out)
 */
export function moduleEdges(file: string, source: string): ModuleEdges {
  const dir = file.split("/").slice(0, -1);
  const imports = findImports(tokenize(source))
    .map((ref) => ref.specifier)
    .filter((specifier): specifier is string =>
      specifier !== undefined && (specifier.startsWith("./") || specifier.startsWith("../"))
    )
    .map((specifier) => {
      const parts = [...dir];
      for (const part of specifier.split("/")) {
        if (part === "..") parts.pop();
        else if (part !== ".") parts.push(part);
      }
      return parts.join("/");
    });
  return { file, imports: [...new Set(imports)] };
}

/**
 * Every import cycle: each strongly connected component of more than one module, and each
 * module that imports itself, as a sorted list of files.
 *
 * @param modules the graph
 * @returns the cycles, sorted
 */
export function importCycles(modules: readonly ModuleEdges[]): string[][] {
  const edges = new Map(modules.map((m) => [m.file, m.imports]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!edges.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (edges.get(file) ?? []).includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of [...edges.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
