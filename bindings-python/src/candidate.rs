//! `parse_file`: one document to a parsed resume, without a database or a store (the
//! Python face of `resumeflow::candidate::parse_document`).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use resumeflow::LlmClient;
use resumeflow::candidate::{current_month, parse_document};
use resumeflow::extract::ExtractLimits;
use serde_json::{Value, json};

use crate::convert::Json;
use crate::error::to_py;
use crate::llm::PyLlm;
use crate::runtime;

async fn parse(bytes: Vec<u8>, llm: Option<Arc<dyn LlmClient>>) -> resumeflow::Result<Value> {
    let d = parse_document(
        bytes,
        llm.as_deref(),
        ExtractLimits::default(),
        current_month(),
    )
    .await?;
    Ok(json!({
        "kind": d.kind,
        "parser": d.parser,
        "resume": d.resume.to_json_resume(),
        "experience_months": d.experience_months,
        "flags": d.flags,
        "warnings": d.warnings,
        "text": d.text.text,
    }))
}

fn client(llm: Option<Bound<'_, PyAny>>, model: Option<String>) -> Option<Arc<dyn LlmClient>> {
    llm.map(|c| {
        Arc::new(PyLlm::new(
            c.unbind(),
            model.unwrap_or_else(|| "python".into()),
        )) as Arc<dyn LlmClient>
    })
}

/// Parses one document (PDF, DOCX, DOC, RTF, HTML, text) into a JSON Resume, with the
/// host's model when `llm` is given, else heuristically (blocking, GIL released).
#[pyfunction]
#[pyo3(signature = (data, llm=None, llm_model=None))]
pub(crate) fn parse_file<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    llm: Option<Bound<'py, PyAny>>,
    llm_model: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = data.as_bytes().to_vec();
    let llm = client(llm, llm_model);
    match py.detach(|| runtime().block_on(parse(bytes, llm))) {
        Ok(v) => Json(v).into_pyobject(py),
        Err(e) => Err(to_py(py, &e)),
    }
}

/// `parse_file` as a coroutine.
#[pyfunction]
#[pyo3(signature = (data, llm=None, llm_model=None))]
pub(crate) fn parse_file_async<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    llm: Option<Bound<'py, PyAny>>,
    llm_model: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = data.as_bytes().to_vec();
    let llm = client(llm, llm_model);
    crate::runtime::future_into_py(py, async move {
        parse(bytes, llm)
            .await
            .map(Json)
            .map_err(|e| Python::attach(|py| to_py(py, &e)))
    })
}
