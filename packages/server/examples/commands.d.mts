// Types of the example module, for TypeScript consumers (the tests).
declare const commands: readonly unknown[];
export default commands;
export declare const moduleName: string;
