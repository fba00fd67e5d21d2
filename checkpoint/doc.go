// Package checkpoint writes and reads checkpoints of a train.Fit, from
// which a Fit resumes bit-exactly (same data, network, optimizer, seed,
// batch size, backend and thread count).
//
// # Layout
//
// A checkpoint directory DIR holds:
//
//	DIR/LATEST               one line: the name of the newest complete checkpoint
//	DIR/ckpt-NNNNNNNNN/      one checkpoint, NNNNNNNNN = steps done in the run (9 digits;
//	                          ckpt-NNNNNNNNN.K when a resumed run reaches a position again)
//	    model.safetensors     the network: tensors layers.<l>.kernel (F32, shape
//	                          [in, out], row-major: y = x·W + b) and layers.<l>.bias
//	                          (F32, [out]); __metadata__ {"format":"descent-checkpoint",
//	                          "model":"{\"input\":784,\"layers\":[{\"units\":128,
//	                          \"activation\":\"sigmoid\",\"dropout\":0.2},…],\"preprocessing\":{…},
//	                          \"labels\":[…]}"}
//	    optimizer.safetensors the optimizer's slots slot.0, slot.1, … (F32, [params],
//	                          laid out like the model's Params: [W₀|b₀|W₁|b₁|…], in
//	                          the order the optimizer documents, e.g. Adam: m, v);
//	                          __metadata__ {"optimizer":"adam","iterations":"4220","slots":"2"}
//	    state.json            identity (training-data SHA-256 and split, backend,
//	                          threads, optimizer and its configuration, seed, batch
//	                          size), position (epoch from 1, steps done in it, steps per
//	                          epoch, the epoch's running loss sum, correct and seen
//	                          counts, epoch_done), the history of the completed epochs
//	                          (float64 written as the shortest decimal that reads back
//	                          to the same bits), how the shuffle is derived, and the
//	                          caller's run configuration (descent train: its flags)
//	    MANIFEST.json         {"format":1,"kind":"descent-checkpoint","files":
//	                          {"model.safetensors":{"sha256":"…","size":N},…}}
//
// # Safetensors
//
// The .safetensors files follow the Hugging Face format: an unsigned 64-bit
// little-endian header length N, N bytes of UTF-8 JSON (padded with spaces
// to a multiple of 8) mapping each tensor name to {"dtype","shape",
// "data_offsets":[begin,end]} plus an optional "__metadata__" map of
// strings, then the raw little-endian tensor bytes, offsets relative to
// the end of the header, covering the data exactly. Python's safetensors,
// PyTorch (via safetensors.torch) and scripts/golden/safetensors_reader.py
// (numpy only) read them. This package writes and reads F32 only, with its
// own small codec (EncodeSafetensors, DecodeSafetensors): every length in
// a header is checked against the file's size before anything is
// allocated, so a lying header is refused, not obeyed.
//
// # Shuffle and RNG
//
// Fit draws each epoch's sample order from one PCG seeded by (seed,
// 0x5eed5eed), one Fisher–Yates shuffle per epoch. The order is a pure
// function of (seed, epoch), so it is not stored: a resumed Fit replays
// the shuffles of the epochs before it, then skips the steps already done.
//
// # Crash safety
//
// Write makes the folder as .tmp-ckpt-…, writes and fsyncs its four files
// and LATEST's replacement (.tmp-LATEST-…) concurrently, fsyncs the folder,
// renames it to its unused final name, fsyncs DIR, renames the new LATEST
// over the old one, fsyncs DIR again, and only then removes older
// checkpoints and leftovers of killed writes. Killed at any moment, DIR's
// LATEST names a complete checkpoint (the new one or the previous); no
// folder LATEST may name is ever replaced in place.
//
// # Refusals
//
// Load checks MANIFEST.json's format (a newer version is refused) and each
// file's size and SHA-256 before parsing it; a damaged file is refused with
// its path and the reason (ErrCorrupt). Checkpoint.Check refuses, naming
// every difference, a checkpoint of other training data or split, another
// backend or thread count, network, optimizer or configuration, seed or
// batch size (ErrMismatch).
package checkpoint
