//! Integration tests: the real application on port 0 with a fresh
//! temporary data folder per test, driven over HTTP.

mod admin;
mod appeals;
mod backup;
mod browser;
mod changes;
mod contact;
mod crash;
mod diskfull;
mod edge;
mod editorial;
mod export;
mod feeds;
mod helpers;
mod import;
mod languages;
mod leaks;
mod mail;
mod mailing;
mod media;
mod package;
mod payloads;
mod postgres;
mod printing;
mod public_site;
mod publication;
mod publish;
mod quality;
mod reader;
mod robustness;
mod roles;
mod search;
mod security;
mod smtp;
mod subscribers;
mod walkthrough;
