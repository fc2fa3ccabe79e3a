import './zod-setup.js'; // first: before @autod/core builds its filter
import { DOCUMENT_FILTER } from '@autod/core';

// Loaded with `import()` by the commands that take filter flags. A static import here (not `import('@autod/core')`)
// lets the bundle load only the part of @autod/core the filter needs, not its metadata schemas.
export { DOCUMENT_FILTER };
