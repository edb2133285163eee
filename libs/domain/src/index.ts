// The API key domain: its fields and their rules, its events, its state, and the pure functions
// that decide commands and fold events. No framework, database or broker code may be imported
// here (eslint.config.js enforces it), so the service and any downstream consumer share it.
export * from './api-key-fields';
export * from './events';
export * from './api-key-state';
export * from './decide';
export * from './key-validity';
