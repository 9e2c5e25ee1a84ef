import type { AnyFactory, Kind } from "./component.js";

type FactoryOf<K extends Kind> = Extract<AnyFactory, { kind: K }>;

/** Looks factories up by kind and type; built from the one list in src/components.ts. */
export class Registry {
  private readonly byKind = new Map<Kind, Map<string, AnyFactory>>();

  constructor(factories: readonly AnyFactory[]) {
    for (const factory of factories) {
      const types = this.byKind.get(factory.kind) ?? new Map<string, AnyFactory>();
      if (types.has(factory.type))
        throw new Error(`duplicate ${factory.kind} type "${factory.type}"`);
      types.set(factory.type, factory);
      this.byKind.set(factory.kind, types);
    }
  }

  get<K extends Kind>(kind: K, type: string): FactoryOf<K> | undefined {
    return this.byKind.get(kind)?.get(type) as FactoryOf<K> | undefined;
  }

  types(kind: Kind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  /** Kinds that have a factory of this type, to say "batch is a processor" on a misplaced ID. */
  kindsOf(type: string): Kind[] {
    return [...this.byKind].filter(([, types]) => types.has(type)).map(([kind]) => kind);
  }

  all(): AnyFactory[] {
    return [...this.byKind.values()].flatMap((types) => [...types.values()]);
  }
}
