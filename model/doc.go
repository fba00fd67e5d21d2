// Package model holds the network: dense layers, activations, initialisers
// and the Sequential container.
//
// Layout. All parameters of a Sequential live in one flat []float32 (and the
// gradients, owned by a Workspace, in another of the same length), so that an
// optimizer is a single loop and a checkpoint is a single write. Layer l's
// kernel W is stored row-major with shape (in, out) — Keras's layout — and is
// followed directly by its bias b of length out:
//
//	Params = [W₀ (in₀×out₀) | b₀ (out₀) | W₁ | b₁ | …]
//
// Activations are (batch, units) row-major matrices. A Dense layer computes
// y = f(x·W + b).
//
// Dropout. A layer's Dropout rate (Layer.WithDropout, Keras's Dense then
// Dropout(rate)) applies to its output in training only: ForwardTraining
// draws the masks from a DropoutKey, Forward — evaluation,
// package predict, inference workspaces — never drops. The masks live in
// the training workspace beside the activations, which they leave intact.
//
// Concurrency. A Sequential's parameters are only read by Forward and
// Backward; all scratch memory lives in a Workspace, one per goroutine.
package model
