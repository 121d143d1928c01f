// A node:test reporter that ends a run with one line: what passed, what failed, how long.
export default async function* summary(source) {
  const started = Date.now();
  let passed = 0;
  let skipped = 0;
  const failed = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    if (event.type === 'test:fail') failed.push(event.data.name);
    else if (event.data.skip !== undefined || event.data.todo !== undefined) skipped += 1;
    else passed += 1;
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const total = passed + skipped + failed.length;
  const verdict = failed.length === 0 ? 'PASS' : `FAIL (${failed.slice(0, 3).join('; ')}${failed.length > 3 ? '; …' : ''})`;
  yield `\nportcullis tests: ${verdict}: ${total} tests, ${passed} passed, ${failed.length} failed, ${skipped} skipped, ${seconds} s\n`;
}
