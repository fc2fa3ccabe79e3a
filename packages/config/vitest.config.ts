import { autodProject } from '../../vitest.shared.js';

export default autodProject('@autod/config');
