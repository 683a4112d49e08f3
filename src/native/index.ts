/**
 * The native layer's public face (STYLE.md principle 9): every function the Rust addon provides,
 * each beside its TypeScript twin, and which of them is in use.
 *
 *   crc32c, validateBatches, assignOffsets   what the broker calls: native when the addon is
 *                                            loaded and the input is at least the measured
 *                                            threshold, else the twin
 *   crc32cTs, validateBatchesTs, assignOffsetsTs        the TypeScript twins, always available
 *   crc32cNative, validateBatchesNative, assignOffsetsNative
 *                                            the addon at any size, or null when not loaded
 *                                            (tests run every suite against both)
 *   zstdDecompress, zstdDecompressNative, zstdDecompressTs
 *                                            zstd decompression: libzstd in the addon, or the
 *                                            TypeScript decoder (zstd.ts)
 *   zstdCompress, zstdCompressNative, zstdCompressTs, loadZstdTwin
 *                                            zstd compression: libzstd in the addon, or libzstd
 *                                            compiled to WebAssembly (zstd-compress.ts; that
 *                                            module is not re-exported here, so that importing
 *                                            this one never instantiates WebAssembly)
 *   nativeFile                               the addon's pwrite/pread/fstat/fsync (+ async fsync)
 *                                            for NativeFileIO (src/log/file-io.ts, whose
 *                                            NodeFileIO is the twin), or null
 *   nativeStatus(), describeNative()         whether the addon is in use, and why not; the
 *                                            broker logs describeNative() once at start
 *
 * The addon is loaded in addon.ts only, under the SLUICE_NATIVE policy documented there.
 */
export { ADDON_PATH, describeNative, nativeMode, nativeStatus, type NativeMode, type NativeStatus } from './addon.js';
export { nativeFile, type NativeFile } from './file.js';
export { zstdDecompress, zstdDecompressNative, zstdDecompressTs, type ZstdDecompress } from './zstd.js';
export { CRC32C_NATIVE_MIN_BYTES, crc32c, crc32cNative, crc32cTs } from './crc32c.js';
export {
  VALIDATE_NATIVE_MIN_BYTES,
  assignOffsets,
  assignOffsetsNative,
  assignOffsetsTs,
  validateBatches,
  validateBatchesNative,
  validateBatchesTs,
  type BatchInfo,
  type ValidateOptions,
  type ValidateResult,
} from './batch.js';
