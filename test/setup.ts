// vitest setup: the aws-sdk-client-mock matchers (toHaveReceivedCommandWith, ...) on expect.
import 'aws-sdk-client-mock-vitest/extend';
