import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { fetchMock } from './test-utils.js';

// openapi-fetch keeps the fetch it finds when the client is created: route it through the swappable mock.
vi.stubGlobal('fetch', fetchMock);

afterEach(() => {
  cleanup();
});
