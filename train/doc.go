// Package train fits a model.Sequential: losses, optimizers, the training
// step, the fit loop with validation, history, callbacks and the Keras-style
// progress line.
//
// A Trainer owns everything a training run writes — the workspace, the batch
// buffers and the optimizer's slots — and allocates it once in NewTrainer, so
// that a warm training step allocates nothing. One Trainer serves one
// goroutine; train several models concurrently with one Trainer each.
package train
