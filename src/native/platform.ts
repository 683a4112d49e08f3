/**
 * napi-rs's name for the platform a prebuilt addon is for (its platform-package convention:
 * `<name>.<triple>.node` inside a package, or a package `<name>-<triple>`): linux-x64-gnu,
 * linux-x64-musl, linux-arm64-gnu, darwin-arm64, darwin-x64, win32-x64-msvc, ... The C library
 * matters on Linux (a glibc build does not load on musl), so it is part of the Linux name; Node's
 * process report says which one this process runs on.
 */
export function platformTriple(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}
