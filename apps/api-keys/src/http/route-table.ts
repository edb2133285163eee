import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

interface Route {
  readonly pattern: RegExp;
  readonly methods: readonly string[];
}

/** The shape of what Express's router keeps of each route (only what we read). */
interface RouterLayer {
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Which methods each path of the API answers, read once from the routes Nest registered, so a
 * known path asked with another method answers 405 with `Allow` rather than 404.
 */
@Injectable()
export class RouteTable {
  private routes: Route[] | null = null;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** The methods `path` answers (HEAD wherever GET), or none for an unknown path. */
  methodsOf(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.all()) if (route.pattern.test(path)) route.methods.forEach((m) => methods.add(m));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  }

  private all(): Route[] {
    if (this.routes) return this.routes;
    const express = this.adapterHost.httpAdapter.getInstance<{ router?: { stack: RouterLayer[] } }>();
    this.routes = (express.router?.stack ?? []).flatMap(({ route }) => {
      if (!route) return [];
      const segments = route.path.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : escape(segment)));
      const methods = Object.keys(route.methods).map((m) => m.toUpperCase());
      return [{ pattern: new RegExp(`^${segments.join('/')}/?$`), methods }];
    });
    return this.routes;
  }
}
