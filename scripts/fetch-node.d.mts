// Types of scripts/fetch-node.mjs (the one Node downloader: .ci/run and the benchmark's
// post-quantum TLS baseline use it; plain JavaScript so that it runs before `npm ci`).

/** The pinned release per major line. */
export declare const NODE_VERSIONS: Readonly<Record<22 | 24, string>>;
/** The cache folder: PQBLE_NODE24_CACHE, else `<package root>/node_modules/.cache/pqble-node24`. */
export declare function nodeCacheDir(): string;
/** `node-<platform>-<arch>` for this machine (or the given one), or undefined if the registry has none. */
export declare function nodePackageName(platform?: string, arch?: string): string | undefined;
/** Resolves `major` ("24") or a full version ("24.21.0") to a full version. */
export declare function resolveVersion(spec: string): string;
/** Where the binary of `version` lives in the cache (whether or not it is there). */
export declare function nodeBinaryPath(version: string, cacheDir?: string): string;
/** Fetches (if needed) Node `version` and returns the path of a binary that reports that version. */
export declare function fetchNode(version: string, options?: { readonly cacheDir?: string; readonly npm?: string }): Promise<string>;
