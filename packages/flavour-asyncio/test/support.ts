export { testRunner, sleep } from '@cobald/test-support';
