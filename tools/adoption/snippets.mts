/**
 * The ```ts blocks of a Markdown document, each as the module a reader would paste into a file.
 * A block right after the line `<!-- snippet: not compiled -->` (blank lines between allowed) is
 * returned with `skipped: true`.
 */
export interface Snippet {
  /** `README.md`, `docs/token-exchange.md`... */
  source: string;
  /** 1-based line of the opening fence in the document. */
  line: number;
  /** A file name unique across documents, e.g. `docs-token-exchange-md-L120.ts`. */
  fileName: string;
  code: string;
  skipped: boolean;
}

export const NOT_COMPILED_MARKER = '<!-- snippet: not compiled -->';

/**
 * @param section when given, only blocks under the heading with exactly this text (any level),
 * up to the next heading of the same or a higher level.
 */
export function extractSnippets(markdown: string, source: string, section?: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let inSection = section === undefined;
  let sectionLevel = 0;
  let lastText = '';
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const heading = /^(#{1,6})\s+(.*?)\s*$/.exec(line);
    if (heading !== null && section !== undefined) {
      const level = heading[1]?.length ?? 0;
      if (heading[2] === section) {
        inSection = true;
        sectionLevel = level;
      } else if (inSection && level <= sectionLevel) {
        inSection = false;
      }
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([A-Za-z]*)/.exec(line);
    if (fence === null) {
      if (line.trim() !== '') lastText = line.trim();
      continue;
    }
    const marker = fence[2] ?? '```';
    const language = (fence[3] ?? '').toLowerCase();
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !(lines[index] ?? '').trimStart().startsWith(marker); index += 1) {
      body.push((lines[index] ?? '').slice((fence[1] ?? '').length));
    }
    if (inSection && (language === 'ts' || language === 'typescript')) {
      const slug = source.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
      snippets.push({
        source,
        line: start + 1,
        fileName: `${slug}-L${start + 1}.ts`,
        code: `${body.join('\n')}\n`,
        skipped: lastText === NOT_COMPILED_MARKER,
      });
    }
    lastText = '';
  }
  return snippets;
}
