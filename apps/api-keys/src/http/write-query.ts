import { IsIn } from 'class-validator';
import { WhenPresent } from '../api-key-resource/field-validation';

/** `PUT ...?dry_run=true`: decide and show, record nothing. Any other parameter is a 422. */
export class WriteQuery {
  @WhenPresent()
  @IsIn(['true', 'false'], { message: '$path must be true or false' })
  dry_run?: string;
}
