import { MiClientError } from '../../src/index.js';

/** The MiClientError a call rejects with (anything else, or a resolution, fails the test). */
export async function rejection(promise: Promise<unknown>): Promise<MiClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MiClientError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
