//! The Refuge program: command-line interface, configuration, start-up
//! wiring and the demo site. Thin on purpose: content rules live in
//! `refuge-core`, storage in `refuge-store`, pages in `refuge-render`,
//! HTTP in `refuge-web`.

pub mod app;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod demo;
