import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { IdAllocator } from '../read-model/id-allocator';
import { USERS, UserDocument } from '../read-model/schemas';

export const USER_ID_ALLOCATOR = Symbol('USER_ID_ALLOCATOR');

// Deliberately plain: enough to reject typos, not a full RFC 5322 parser.
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]{2,}$/u;

export class InvalidEmailError extends Error {}

/**
 * Users are a plain collection written by the bootstrap command (there is no sign-up). Keys carry
 * their owner's email in their own events, so a replay rebuilds keys without this collection.
 */
@Injectable()
export class Users {
  constructor(
    @InjectModel(USERS) private readonly users: Model<UserDocument>,
    @Inject(USER_ID_ALLOCATOR) private readonly ids: IdAllocator,
    private readonly keys: ApiKeysReadModel,
  ) {}

  /** The user with this email, created when new. Safe when two bootstraps race on one email. */
  async ensure(rawEmail: string): Promise<UserDocument> {
    const email = rawEmail.trim().toLowerCase();
    if (email.length > 254 || !EMAIL.test(email))
      throw new InvalidEmailError(`not an email address: ${JSON.stringify(rawEmail)}`);
    const existing = await this.users.findOne({ email }).lean<UserDocument>().exec();
    if (existing) return existing;
    // After a replay into a fresh database the users collection is empty, but the keys remember
    // their owners: keep the id the email already has rather than minting a second one.
    const knownId = await this.keys.ownerIdByEmail(email);
    const user: UserDocument = { _id: knownId ?? (await this.ids.allocate()), email, created_at: new Date() };
    try {
      await this.users.create(user);
      return user;
    } catch (error) {
      const winner = await this.users.findOne({ email }).lean<UserDocument>().exec();
      if (winner) return winner; // the unique email index let the other bootstrap win
      throw error;
    }
  }
}
