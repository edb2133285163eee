import * as api from '../../../api-keys/src/http/envelope';
import { failure, success } from './envelope';

describe('the verifier’s envelope', () => {
  it('is the API’s, for successes and errors alike', () => {
    expect(success(200, 'Key verified', { valid: true })).toEqual(api.success(200, 'Key verified', { valid: true }));
    expect(failure(422, 'Validation failed', ['x'], 'Fix it.')).toEqual(
      api.failure(422, 'Validation failed', ['x'], 'Fix it.'),
    );
  });
});
