/**
 * wgml/node: what only Node can do (files on disk), on top of the public entry `wgml`.
 */
export { loadFashionMnistFromDisk } from './data/locate-node';
