// A chunk worker that fails as it loads (test/client/age-parallel.test.ts).
throw new Error('this worker cannot start');
