// Placeholder entry point; replaced by the real bootstrap.
import 'reflect-metadata';
import { CONTRACTS } from '@app/contracts'; export const x = CONTRACTS;
