import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { IdAllocator } from '../read-model/id-allocator';
import { USER_EMAIL_CLAIMS, UserEmailDocument } from '../read-model/schemas';

export const USER_ID_ALLOCATOR = Symbol('USER_ID_ALLOCATOR');

// Deliberately plain: enough to reject typos, not a full RFC 5322 parser.
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]{2,}$/u;
const DUPLICATE_KEY = 11000;

export class InvalidEmailError extends Error {}

export interface User {
  readonly id: number;
  readonly email: string;
}

/**
 * Users exist through their keys: there is no sign-up, and an operator's bootstrap command names a
 * user by email. The projected `user_emails` (rebuilt by a replay) knows every user that has a key;
 * an email not yet there is claimed with a new id, once, even when two bootstraps race.
 */
@Injectable()
export class Users {
  constructor(
    @InjectModel(USER_EMAIL_CLAIMS) private readonly claims: Model<UserEmailDocument>,
    @Inject(USER_ID_ALLOCATOR) private readonly ids: IdAllocator,
    private readonly readModel: ApiKeysReadModel,
  ) {}

  /** The user with this email, created when new. */
  async ensure(rawEmail: string): Promise<User> {
    const email = rawEmail.trim().toLowerCase();
    if (email.length > 254 || !EMAIL.test(email)) {
      throw new InvalidEmailError(`not an email address: ${JSON.stringify(rawEmail)}`);
    }
    const known = (await this.readModel.userIdByEmail(email)) ?? (await this.claimedId(email));
    if (known !== null) return { id: known, email };
    const id = await this.ids.allocate();
    try {
      await this.claims.create({ _id: email, user_id: id });
      return { id, email };
    } catch (error) {
      if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
      const winner = await this.claimedId(email); // a concurrent bootstrap claimed it first
      if (winner === null) throw error;
      return { id: winner, email };
    }
  }

  private async claimedId(email: string): Promise<number | null> {
    const claim = await this.claims.findById(email).lean<UserEmailDocument>().exec();
    return claim?.user_id ?? null;
  }
}
