//! `fleetd serve`: load the configuration, start logging, run the server.

use crate::cli::{ServeArgs, EXIT_CONFIG, EXIT_FAILURE};
use crate::logging;
use crate::settings::Settings;
use crate::startup::Application;
use std::process::ExitCode;

pub fn run(args: &ServeArgs) -> ExitCode {
    let settings = match Settings::load(&args.config_source()) {
        Ok(settings) => settings,
        Err(err) => {
            // Logging is configured by this very file: report on stderr.
            eprintln!("fleetd: configuration error: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    logging::init(settings.log.level);
    log::debug!("settings: {settings:?}");

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            log::error!("cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let result = runtime.block_on(async {
        let app = Application::build(settings).await?;
        app.run_until_stopped()
            .await
            .map_err(crate::startup::StartupError::Server)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{err}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
