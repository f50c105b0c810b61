// Types of scripts/ensure-test-deps.mjs (npm test's pretest step), for the tests that import it.
export declare const TEST_PACKAGES: Readonly<Record<string, readonly string[]>>;
export declare function missingPackages(path?: string): string[];
export declare function main(): number;
