//! Work put on another core where a thread can be had, and done in place
//! where none can (a process or container at its thread limit): the run is
//! slower then, but it does not stop.

use std::sync::{Arc, Mutex};

/// Work started by [`Task::start`]; [`Task::join`] gives its result.
pub enum Task<'scope, T> {
    /// Running on a thread of the scope.
    Thread(std::thread::ScopedJoinHandle<'scope, Option<T>>),
    /// Done in place, no thread being had.
    Done(T),
    /// Neither (not reachable: see [`Task::start`]).
    Lost,
}

impl<'scope, T: Send + 'scope> Task<'scope, T> {
    /// Run `f` on a thread of `scope` named `name`, or here, now, when no
    /// thread can be started. Only for work that waits on nothing the
    /// caller does after starting it (done in place, it would wait forever).
    pub fn start<'env, F>(scope: &'scope std::thread::Scope<'scope, 'env>, name: &str, f: F) -> Self
    where
        F: FnOnce() -> T + Send + 'scope,
    {
        Self::start_on(std::thread::Builder::new().name(name.into()), scope, f)
    }

    fn start_on<'env, F>(
        thread: std::thread::Builder,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        f: F,
    ) -> Self
    where
        F: FnOnce() -> T + Send + 'scope,
    {
        // A thread that cannot be started drops what it was given: the
        // work waits in a slot that this side can take it back from.
        let slot = Arc::new(Mutex::new(Some(f)));
        let theirs = Arc::clone(&slot);
        let started = thread.spawn_scoped(scope, move || {
            let f = theirs.lock().ok()?.take()?;
            Some(f())
        });
        match started {
            Ok(handle) => Task::Thread(handle),
            Err(_) => {
                let f = slot.lock().ok().and_then(|mut s| s.take());
                // Only the thread takes the work, and it was not started.
                f.map_or(Task::Lost, |f| Task::Done(f()))
            }
        }
    }

    /// The work's result; an error if its thread panicked.
    pub fn join(self) -> std::thread::Result<T> {
        let not_run = || Box::new("the work was not run") as Box<dyn std::any::Any + Send>;
        match self {
            Task::Done(t) => Ok(t),
            Task::Thread(h) => h.join()?.ok_or_else(not_run),
            Task::Lost => Err(not_run()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_runs_on_a_thread_or_in_place_and_gives_its_result() {
        let here = std::thread::current().id();
        std::thread::scope(|scope| {
            let on_thread = Task::start(scope, "fixops-test", || std::thread::current().id());
            assert!(matches!(on_thread, Task::Thread(_)));
            assert_ne!(on_thread.join().unwrap(), here);
            // No thread can have a stack this large: the work is done here.
            let huge = std::thread::Builder::new().stack_size(usize::MAX);
            let in_place = Task::start_on(huge, scope, || std::thread::current().id());
            assert!(matches!(in_place, Task::Done(_)));
            assert_eq!(in_place.join().unwrap(), here);
        });
    }
}
