// Which files get indexed. `discover` walks the roots through the FileSystem interface only (the extension drives it
// over workspace.fs), deciding from names, ignore files, globs and stat; `classifyContent` / `readAndClassify` judge
// the bytes later, when the indexer reads them, since files can change or vanish in between.
export { classifyContent, readAndClassify } from './content';
export { summarizeSkipped } from './summary';
export { discover, type DiscoverOptions, type DiscoverResult } from './walk';
