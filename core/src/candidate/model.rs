//! The parsed-resume model. Field names follow JSON Resume v1 on the wire
//! (`work[].name` is the company, `education[].studyType`, `startDate`, ...),
//! so `serde_json::to_value(&resume)` *is* a JSON Resume document and
//! [`ParsedResume::from_json_resume`] reads one back. Fields outside the
//! model (`$schema`, `meta`, `awards`, ...) are not kept.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A month of a year, or a year alone when the source gives only the year.
/// Printed `YYYY-MM` or `YYYY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: u16,
    /// 1..=12; `None` = year precision.
    pub month: Option<u8>,
}

impl YearMonth {
    pub fn new(year: u16, month: u8) -> Option<YearMonth> {
        (1..=12).contains(&month).then_some(YearMonth {
            year,
            month: Some(month),
        })
    }

    pub fn year(year: u16) -> YearMonth {
        YearMonth { year, month: None }
    }

    /// Months since year 0, with a year-only value taken as `default_month`.
    pub fn index(&self, default_month: u8) -> i32 {
        self.year as i32 * 12 + (self.month.unwrap_or(default_month) as i32 - 1)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.month {
            Some(m) => write!(f, "{:04}-{:02}", self.year, m),
            None => write!(f, "{:04}", self.year),
        }
    }
}

/// Why a date string was not a `YearMonth`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a YYYY, YYYY-MM or YYYY-MM-DD date: {0:?}")]
pub struct DateParseError(pub String);

impl FromStr for YearMonth {
    type Err = DateParseError;
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (the day is dropped).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DateParseError(s.to_string());
        let mut parts = s.trim().split('-');
        let y = parts.next().ok_or_else(err)?;
        if y.len() != 4 {
            return Err(err());
        }
        let year: u16 = y.parse().map_err(|_| err())?;
        match parts.next() {
            None => Ok(YearMonth::year(year)),
            Some(m) => {
                let month: u8 = m.parse().map_err(|_| err())?;
                YearMonth::new(year, month).ok_or_else(err)
            }
        }
    }
}

/// On the wire a `YearMonth` is a string `YYYY-MM` or `YYYY`.
impl schemars::JsonSchema for YearMonth {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "YearMonth".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]))?$",
            "description": "YYYY-MM, or YYYY when only the year is known"
        })
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

impl Location {
    pub fn is_empty(&self) -> bool {
        self.city.is_none() && self.region.is_none() && self.country_code.is_none()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Profile {
    #[serde(default)]
    pub network: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Basics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Location::is_empty")]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<Profile>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Work {
    /// The employer (`work[].name` in JSON Resume).
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(rename = "startDate", default, skip_serializing_if = "Option::is_none")]
    pub start: Option<YearMonth>,
    /// `None` = current job.
    #[serde(rename = "endDate", default, skip_serializing_if = "Option::is_none")]
    pub end: Option<YearMonth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Education {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    #[serde(rename = "startDate", default, skip_serializing_if = "Option::is_none")]
    pub start: Option<YearMonth>,
    #[serde(rename = "endDate", default, skip_serializing_if = "Option::is_none")]
    pub end: Option<YearMonth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Skill {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(rename = "startDate", default, skip_serializing_if = "Option::is_none")]
    pub start: Option<YearMonth>,
    #[serde(rename = "endDate", default, skip_serializing_if = "Option::is_none")]
    pub end: Option<YearMonth>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Certificate {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<YearMonth>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Language {
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fluency: Option<String>,
}

/// A resume as the parsers produce it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParsedResume {
    #[serde(default)]
    pub basics: Basics,
    #[serde(default)]
    pub work: Vec<Work>,
    #[serde(default)]
    pub education: Vec<Education>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    #[serde(default)]
    pub projects: Vec<Project>,
    #[serde(default)]
    pub certificates: Vec<Certificate>,
    #[serde(default)]
    pub languages: Vec<Language>,
}

impl ParsedResume {
    /// This resume as a JSON Resume v1 document.
    pub fn to_json_resume(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("the model always serialises")
    }

    /// Read a JSON Resume v1 document. Unknown members are ignored.
    pub fn from_json_resume(value: &serde_json::Value) -> Result<Self, serde_json::Error> {
        ParsedResume::deserialize(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn year_month_prints_and_parses() {
        assert_eq!(YearMonth::new(2020, 3).unwrap().to_string(), "2020-03");
        assert_eq!(YearMonth::year(2017).to_string(), "2017");
        assert_eq!(
            "2020-01-15".parse::<YearMonth>().unwrap(),
            YearMonth::new(2020, 1).unwrap()
        );
        assert!("2020-13".parse::<YearMonth>().is_err());
        assert!("20-01".parse::<YearMonth>().is_err());
        assert!(YearMonth::new(2020, 0).is_none());
    }

    #[test]
    fn json_resume_round_trip_uses_schema_names() {
        let doc = json!({
            "basics": {"name": "Ana Lima", "email": "ana@x.io",
                "location": {"city": "Porto", "countryCode": "PT"},
                "profiles": [{"network": "GitHub", "username": "ana"}]},
            "work": [{"name": "Acme GmbH", "position": "Engineer", "startDate": "2019-03",
                       "endDate": "2021", "highlights": ["Shipped"]},
                     {"name": "Beta", "position": "Lead", "startDate": "2021-04"}],
            "education": [{"institution": "U Porto", "studyType": "BSc", "area": "CS"}],
            "skills": [{"name": "Cloud", "keywords": ["k8s"], "level": "Expert"}],
            "projects": [{"name": "P", "keywords": ["Rust"], "startDate": "2020-01"}],
            "certificates": [{"name": "CKA", "issuer": "CNCF", "date": "2022-05"}],
            "languages": [{"language": "Portuguese", "fluency": "Native"}]
        });
        let r = ParsedResume::from_json_resume(&doc).unwrap();
        assert_eq!(r.work[0].company.as_deref(), Some("Acme GmbH"));
        assert_eq!(r.work[0].end, Some(YearMonth::year(2021)));
        assert_eq!(r.work[1].end, None);
        assert_eq!(r.education[0].study_type.as_deref(), Some("BSc"));
        assert_eq!(r.basics.location.country_code.as_deref(), Some("PT"));
        assert_eq!(r.to_json_resume(), doc);
    }
}
