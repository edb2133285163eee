// Real servers: joining a consumer group or replaying a topic takes seconds, not milliseconds.
jest.setTimeout(60000);
