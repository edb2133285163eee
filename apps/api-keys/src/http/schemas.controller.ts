import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { contractSchemas } from '@app/contracts';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SchemaNotFoundError } from '../errors';

/**
 * GET /schemas/<file name>, without authentication: the JSON Schemas of libs/contracts/schemas/,
 * each with `$id` = SCHEMA_BASE_URL + its file name, which is what the records' ce_dataschema
 * names. They come from the generator rather than the files (the image ships no libs/), which is
 * the same content: schemas.spec.ts fails when a committed file differs from it. Only those exact
 * names are answered, so no path reaches the file system.
 */
@Controller('schemas')
export class SchemasController {
  private readonly files: ReadonlyMap<string, string>;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'schemaBaseUrl'>) {
    this.files = new Map(
      contractSchemas(config.schemaBaseUrl).map(({ file, schema }) => [file, `${JSON.stringify(schema, null, 2)}\n`]),
    );
  }

  @Get(':name')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'application/schema+json')
  schema(@Param('name') name: string): string {
    const text = this.files.get(name);
    if (text === undefined) throw new SchemaNotFoundError(name, [...this.files.keys()]);
    return text;
  }
}
