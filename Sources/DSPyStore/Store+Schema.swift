import GRDB

extension Store {
    /// The schema's history. Migrations are append-only: once shipped, "v1" is
    /// never edited; changes go in "v2", "v3", ….
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE run (
                        id          TEXT PRIMARY KEY NOT NULL,
                        kind        TEXT NOT NULL,
                        program     TEXT,
                        started_at  DATETIME NOT NULL,
                        finished_at DATETIME,
                        status      TEXT NOT NULL,
                        summary     TEXT
                    );
                    CREATE INDEX run_on_started_at ON run(started_at);
                    CREATE INDEX run_on_program ON run(program, started_at);

                    CREATE TABLE call (
                        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id               TEXT REFERENCES run(id) ON DELETE CASCADE,
                        run_kind             TEXT,
                        program              TEXT,
                        module_path          TEXT NOT NULL,
                        adapter              TEXT,
                        adapter_fallback     BOOLEAN NOT NULL DEFAULT 0,
                        model                TEXT NOT NULL,
                        messages             TEXT NOT NULL,
                        completion           TEXT,
                        other_completions    TEXT NOT NULL DEFAULT '[]',
                        parsed_fields        TEXT,
                        parse_error          TEXT,
                        sampling             TEXT NOT NULL,
                        constrained_by       TEXT,
                        prompt_tokens        INTEGER NOT NULL DEFAULT 0,
                        completion_tokens    INTEGER NOT NULL DEFAULT 0,
                        cached_prompt_tokens INTEGER NOT NULL DEFAULT 0,
                        latency              REAL NOT NULL DEFAULT 0,
                        tokens_per_second    REAL,
                        timestamp            DATETIME NOT NULL,
                        cache_hit            BOOLEAN NOT NULL DEFAULT 0,
                        cache_key            TEXT,
                        trace_id             TEXT,
                        finish_reason        TEXT,
                        error                TEXT
                    );
                    CREATE INDEX call_on_run ON call(run_id, id);
                    CREATE INDEX call_on_program ON call(program, id);
                    CREATE INDEX call_on_timestamp ON call(timestamp);

                    CREATE TABLE lm_cache (
                        "key"      TEXT PRIMARY KEY NOT NULL,
                        model      TEXT,
                        response   TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );

                    CREATE TABLE compiled_program (
                        fingerprint TEXT PRIMARY KEY NOT NULL,
                        program     TEXT NOT NULL,
                        state       TEXT NOT NULL,
                        scores      TEXT NOT NULL,
                        metadata    TEXT NOT NULL,
                        run_id      TEXT REFERENCES run(id) ON DELETE SET NULL,
                        saved_at    DATETIME NOT NULL
                    );
                    CREATE INDEX compiled_program_on_program ON compiled_program(program, saved_at);
                    """)
        }

        // Compile phases and candidates: calls logged before keep NULL (no phase known),
        // and the optimizer's candidates and decisions get a table of their own.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE call ADD COLUMN phase TEXT;
                    ALTER TABLE call ADD COLUMN candidate TEXT;
                    CREATE INDEX call_on_run_phase ON call(run_id, phase);

                    CREATE TABLE compile_candidate (
                        run_id     TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        seq        INTEGER NOT NULL,
                        candidate  TEXT NOT NULL,
                        round      INTEGER,
                        label      TEXT NOT NULL,
                        program    TEXT NOT NULL,
                        scores     TEXT NOT NULL,
                        chosen     BOOLEAN NOT NULL DEFAULT 0,
                        decision   TEXT,
                        PRIMARY KEY (run_id, seq)
                    );
                    """)
        }

        // Per-token provenance of a call's completion (``TokenTrace``), as JSON; NULL before.
        migrator.registerMigration("v3-inspector") { db in
            try db.execute(sql: "ALTER TABLE call ADD COLUMN token_trace TEXT")
        }

        // Fine-tuned weights of compiled programs (`finetune`, `better-together`): content-addressed
        // blobs a compiled program's metadata names by digest.
        migrator.registerMigration("v3-adapters") { db in
            try db.execute(
                sql: """
                    CREATE TABLE adapter_blob (
                        digest     TEXT PRIMARY KEY NOT NULL,
                        format     TEXT NOT NULL,
                        bytes      BLOB NOT NULL,
                        info       TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    """)
        }

        // Work a compile phase does without LM calls (fine-tuning jobs), so the phase table
        // can show training, which the request log cannot.
        migrator.registerMigration("v4-phase-work") { db in
            try db.execute(
                sql: """
                    CREATE TABLE phase_work (
                        run_id         TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        seq            INTEGER NOT NULL,
                        phase          TEXT NOT NULL,
                        candidate      TEXT,
                        started_at     DATETIME NOT NULL,
                        wall_time      REAL NOT NULL DEFAULT 0,
                        tokens         INTEGER NOT NULL DEFAULT 0,
                        steps          INTEGER NOT NULL DEFAULT 0,
                        "rows"         INTEGER NOT NULL DEFAULT 0,
                        final_loss     REAL,
                        adapter_digest TEXT,
                        adapter_rank   INTEGER,
                        adapter_alpha  REAL,
                        PRIMARY KEY (run_id, seq)
                    );
                    """)
        }

        return migrator
    }
}
