import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { type Em, forkEm, type Orm } from '../../../libs/db/orm';
import { AllowedPackage, AuditEvent } from '../../../libs/domain';
import { ORM } from '../tokens';
import { type AllowPackageInput, type DisallowPackageInput } from './package.inputs';
import { type AllowedPackageModel } from './package.model';
import {
  AllowedPackagePayload,
  DisallowPackagePayload,
  type DisallowPackageResult,
  PackageNotFoundError,
} from './package.payload';

/**
 * The operators' allow-list of system packages. Each change and its audit event (the operators'
 * log, `audit_event`: the list is not one site's) are written in one transaction. Taking a
 * package off the list configures no server: packages are never removed from servers (see
 * ansible/README.md), and runs from then on leave it out.
 */
@Injectable()
export class PackagesService {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  async list(): Promise<AllowedPackageModel[]> {
    const rows = await forkEm(this.orm).find(AllowedPackage, {}, { orderBy: { name: 'asc' } });
    return rows.map(toAllowedPackageModel);
  }

  /** Allowing a package again keeps it, with the description given now (if any). */
  async allow(principal: Principal, input: AllowPackageInput): Promise<AllowedPackagePayload> {
    const allowed = await forkEm(this.orm).transactional(async (tx) => {
      // A write first: on SQLite a transaction that reads first fails at once when another
      // writer commits in between.
      const updated =
        input.description === undefined
          ? await tx.nativeUpdate(AllowedPackage, { name: input.name }, { name: input.name })
          : await tx.nativeUpdate(
              AllowedPackage,
              { name: input.name },
              { description: input.description },
            );
      if (updated === 0) {
        tx.persist(
          new AllowedPackage({
            name: input.name,
            description: input.description ?? '',
            allowedBy: principal.userId,
          }),
        );
      }
      audit(tx, principal, 'package.allowed', input.name, `package ${input.name} allowed`);
      await tx.flush();
      return tx.findOneOrFail(AllowedPackage, { name: input.name });
    });
    return Object.assign(new AllowedPackagePayload(), {
      package: toAllowedPackageModel(allowed),
    });
  }

  async disallow(
    principal: Principal,
    input: DisallowPackageInput,
  ): Promise<DisallowPackageResult> {
    const removed = await forkEm(this.orm).transactional(async (tx) => {
      if ((await tx.nativeDelete(AllowedPackage, { name: input.name })) === 0) return false;
      audit(tx, principal, 'package.disallowed', input.name, `package ${input.name} disallowed`);
      return true;
    });
    if (!removed) return new PackageNotFoundError(`${input.name} is not on the allow-list`);
    return Object.assign(new DisallowPackagePayload(), { name: input.name });
  }
}

function toAllowedPackageModel(row: AllowedPackage): AllowedPackageModel {
  return {
    name: row.name,
    description: row.description,
    allowedBy: row.allowedBy,
    allowedAt: row.allowedAt,
  };
}

function audit(tx: Em, principal: Principal, action: string, target: string, summary: string) {
  tx.persist(
    new AuditEvent({ id: randomUUID(), actor: principal.userId, action, target, summary }),
  );
}
