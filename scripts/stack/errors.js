'use strict';

// An expected failure with a message meant for the person at the terminal: printed without a stack trace.
class StackError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StackError';
  }
}

module.exports = { StackError };
