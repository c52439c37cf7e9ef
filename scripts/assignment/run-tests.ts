/**
 * Entry point of one grading process: imports the given test files (absolute paths), whose tests
 * then run in this process with the reporter and name pattern given on node's command line.
 */
import { pathToFileURL } from "node:url";

for (const file of process.argv.slice(2)) await import(pathToFileURL(file).href);
