// runtime/gc.ts under its old name, for client/repo/storage/direct.js and transport.js only (converted to
// TypeScript on another branch at the same time): once they import runtime/gc.js, this file goes.

export { minorGc } from '../../../runtime/gc.js';
