/** The JavaScript (CommonJS) of one TypeScript file, cached; see transpile.js. */
export function transpile(filename: string, source: string): string;
