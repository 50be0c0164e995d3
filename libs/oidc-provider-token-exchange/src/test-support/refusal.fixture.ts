import { TokenExchangeRefusal } from '../lib/grant/token-exchange-refusal';

/** Runs `action`, which must refuse, and returns the refusal's code and description. */
export function refusalOf(action: () => unknown): { error: string; description: string } {
  try {
    action();
  } catch (error) {
    if (error instanceof TokenExchangeRefusal) return { error: error.error, description: error.error_description };
    throw error;
  }
  throw new Error('expected a TokenExchangeRefusal');
}
