// Types of scripts/build-cli.mjs (the CLI bundle build), for bin/bkv.js's callers and the tests.
export declare const outDir: string;
/** The built bundles' paths by entry name (`cli`, `vault-worker`), if dist/cli/ is current. */
export declare function fresh(): Promise<Record<string, string> | undefined>;
/** Builds dist/cli/; the bundles' paths, or undefined without esbuild or a writable dist/. */
export declare function build(): Promise<Record<string, string> | undefined>;
