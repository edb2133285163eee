export const CONTRACTS = 1;
