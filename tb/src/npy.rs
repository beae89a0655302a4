//! NumPy `.npy` input and output of 2-D matrices (the file format of Q, K, V and AV).
//!
//! Reading accepts C-order 2-D arrays of float32 or float64 (returned as real matrices) and of
//! int8, int16, int32 or int64 whose values fit an `i32` (returned as integer matrices; whether
//! they fit the hardware's `data_bits` is checked later, by `QuantJob::from_int`). Anything else
//! (not an npy file, a truncated file, another number of dimensions, Fortran order, another
//! dtype) is an error that names the file and the problem; reading never panics.
//!
//! Writing produces float32 (AV in real units) or int8 (quantized inputs) files.

use crate::mat::Mat;
use anyhow::{anyhow, bail, Context, Result};
use npyz::{DType, NpyFile, Order, TypeChar, WriterBuilder};
use std::io::{BufWriter, Cursor, Write};
use std::path::Path;

/// A matrix read from an npy file: real values (float files) or integers (int files).
#[derive(Clone, Debug, PartialEq)]
pub enum NpyMatrix {
    /// From a float32 or float64 file.
    Real(Mat<f64>),
    /// From an int8, int16, int32 or int64 file.
    Int(Mat<i32>),
}

impl NpyMatrix {
    /// (rows, cols).
    pub fn shape(&self) -> (usize, usize) {
        match self {
            NpyMatrix::Real(m) => (m.rows, m.cols),
            NpyMatrix::Int(m) => (m.rows, m.cols),
        }
    }

    /// True for integer files.
    pub fn is_int(&self) -> bool {
        matches!(self, NpyMatrix::Int(_))
    }

    /// The values as reals (integers converted exactly).
    pub fn to_real(&self) -> Mat<f64> {
        match self {
            NpyMatrix::Real(m) => m.clone(),
            NpyMatrix::Int(m) => m.map(|x| x as f64),
        }
    }
}

/// The element types this module reads.
const SUPPORTED: &str = "float32, float64, int8, int16, int32 or int64";

/// Reads a 2-D C-order npy file; errors name the file.
pub fn read_matrix(path: &Path) -> Result<NpyMatrix> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_matrix(&bytes).with_context(|| format!("{}", path.display()))
}

/// Parses the bytes of a 2-D C-order npy file.
pub fn parse_matrix(bytes: &[u8]) -> Result<NpyMatrix> {
    let shape = precheck(bytes)?;
    let mut cursor = Cursor::new(bytes);
    let header = npyz::NpyHeader::from_reader(&mut cursor)
        .map_err(|e| anyhow!("not a valid .npy file: {e}"))?;
    let data_start = cursor.position() as usize;
    if header.shape() != shape.as_slice() {
        // Our pre-parse and npyz disagree: trust neither.
        bail!(
            "not a valid .npy file: cannot read its shape (found {:?} and {:?})",
            shape,
            header.shape()
        );
    }
    if shape.len() != 2 {
        bail!(
            "has {} dimension{} (shape {}): expected a 2-D array [rows, cols]",
            shape.len(),
            if shape.len() == 1 { "" } else { "s" },
            fmt_shape(&shape)
        );
    }
    if header.order() == Order::Fortran {
        bail!(
            "is stored in Fortran (column-major) order, which is not supported: save a C-order \
             array (numpy.ascontiguousarray)"
        );
    }
    let dtype = header.dtype();
    let ty = match &dtype {
        DType::Plain(ty) => ty.clone(),
        other => bail!(
            "has the structured dtype {}: expected a plain {SUPPORTED} array",
            other.descr()
        ),
    };
    let kind = match (ty.type_char(), ty.size_field()) {
        (TypeChar::Float, 4) => Kind::F32,
        (TypeChar::Float, 8) => Kind::F64,
        (TypeChar::Int, 1) => Kind::I8,
        (TypeChar::Int, 2) => Kind::I16,
        (TypeChar::Int, 4) => Kind::I32,
        (TypeChar::Int, 8) => Kind::I64,
        _ => bail!("has the unsupported dtype '{ty}': expected {SUPPORTED}"),
    };
    let rows = usize::try_from(shape[0]).map_err(|_| anyhow!("has too many rows"))?;
    let cols = usize::try_from(shape[1]).map_err(|_| anyhow!("has too many columns"))?;
    let count = rows
        .checked_mul(cols)
        .ok_or_else(|| anyhow!("shape {} is too large", fmt_shape(&shape)))?;
    let need = count
        .checked_mul(kind.size())
        .ok_or_else(|| anyhow!("shape {} is too large", fmt_shape(&shape)))?;
    let have = bytes.len() - data_start;
    if have < need {
        bail!(
            "is truncated: shape {} of '{ty}' needs {need} data bytes, the file holds {have}",
            fmt_shape(&shape)
        );
    }
    if have > need {
        bail!(
            "has {} bytes of trailing data after the {need} data bytes of shape {}",
            have - need,
            fmt_shape(&shape)
        );
    }
    let npy = NpyFile::with_header(header, &bytes[data_start..]);
    let read_err = |e: std::io::Error| anyhow!("cannot read the data: {e}");
    Ok(match kind {
        Kind::F32 => NpyMatrix::Real(Mat::from_vec(
            rows,
            cols,
            npy.into_vec::<f32>()
                .map_err(read_err)?
                .into_iter()
                .map(f64::from)
                .collect(),
        )),
        Kind::F64 => NpyMatrix::Real(Mat::from_vec(
            rows,
            cols,
            npy.into_vec::<f64>().map_err(read_err)?,
        )),
        Kind::I8 => NpyMatrix::Int(Mat::from_vec(
            rows,
            cols,
            npy.into_vec::<i8>()
                .map_err(read_err)?
                .into_iter()
                .map(i32::from)
                .collect(),
        )),
        Kind::I16 => NpyMatrix::Int(Mat::from_vec(
            rows,
            cols,
            npy.into_vec::<i16>()
                .map_err(read_err)?
                .into_iter()
                .map(i32::from)
                .collect(),
        )),
        Kind::I32 => NpyMatrix::Int(Mat::from_vec(
            rows,
            cols,
            npy.into_vec::<i32>().map_err(read_err)?,
        )),
        Kind::I64 => {
            let v = npy.into_vec::<i64>().map_err(read_err)?;
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.into_iter().enumerate() {
                out.push(i32::try_from(x).map_err(|_| {
                    anyhow!(
                        "holds {x} at [{}, {}], which does not fit a 32-bit integer",
                        i / cols,
                        i % cols
                    )
                })?);
            }
            NpyMatrix::Int(Mat::from_vec(rows, cols, out))
        }
    })
}

#[derive(Clone, Copy)]
enum Kind {
    F32,
    F64,
    I8,
    I16,
    I32,
    I64,
}

impl Kind {
    fn size(self) -> usize {
        match self {
            Kind::I8 => 1,
            Kind::I16 => 2,
            Kind::F32 | Kind::I32 => 4,
            Kind::F64 | Kind::I64 => 8,
        }
    }
}

fn fmt_shape(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Checks the magic, the header length and the shape before npyz sees the bytes, so that a
/// damaged or hostile header gives an error instead of a huge allocation or an arithmetic
/// overflow. Returns the shape.
fn precheck(bytes: &[u8]) -> Result<Vec<u64>> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        bail!("not a NumPy .npy file (it does not start with the \\x93NUMPY magic)");
    }
    if bytes.len() < 10 {
        bail!("is truncated: the file ends inside the .npy preamble");
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                bail!("is truncated: the file ends inside the .npy preamble");
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => bail!("has the unsupported .npy format version {v}.{}", bytes[7]),
    };
    let end = start
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            anyhow!(
                "is truncated: its header is {hlen} bytes long but the file ends after {} bytes",
                bytes.len()
            )
        })?;
    let text = String::from_utf8_lossy(&bytes[start..end]);
    let shape = extract_shape(&text)
        .ok_or_else(|| anyhow!("not a valid .npy file: its header has no readable 'shape'"))?;
    let mut n: u64 = 1;
    for &d in &shape {
        n = n.checked_mul(d).ok_or_else(|| {
            anyhow!(
                "not a valid .npy file: shape {} is too large",
                fmt_shape(&shape)
            )
        })?;
    }
    Ok(shape)
}

/// The integers of the `'shape': (a, b, ...)` entry of an npy header dict.
fn extract_shape(text: &str) -> Option<Vec<u64>> {
    let at = text.find("'shape'").or_else(|| text.find("\"shape\""))?;
    let rest = &text[at + 7..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let (open, close) = match rest.chars().next()? {
        '(' => ('(', ')'),
        '[' => ('[', ']'),
        _ => return None,
    };
    let inner = &rest[open.len_utf8()..rest.find(close)?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<u64>().ok())
        .collect()
}

/// Writes a real matrix as a float32 C-order npy file.
pub fn write_f32(path: &Path, m: &Mat<f64>) -> Result<()> {
    write_with(path, m.rows, m.cols, m.data.iter().map(|&x| x as f32))
}

/// Writes a real matrix as a float64 C-order npy file.
pub fn write_f64(path: &Path, m: &Mat<f64>) -> Result<()> {
    write_with(path, m.rows, m.cols, m.data.iter().copied())
}

/// Writes an integer matrix as an int8 C-order npy file; values must fit in [-128, 127].
pub fn write_i8(path: &Path, m: &Mat<i32>) -> Result<()> {
    let mut v = Vec::with_capacity(m.data.len());
    for (i, &x) in m.data.iter().enumerate() {
        v.push(i8::try_from(x).map_err(|_| {
            anyhow!(
                "cannot write {}: value {x} at [{}, {}] does not fit int8",
                path.display(),
                i / m.cols.max(1),
                i % m.cols.max(1)
            )
        })?);
    }
    write_with(path, m.rows, m.cols, v)
}

fn write_with<T: npyz::AutoSerialize>(
    path: &Path,
    rows: usize,
    cols: usize,
    items: impl IntoIterator<Item = T>,
) -> Result<()> {
    let ctx = || format!("cannot write {}", path.display());
    let file = std::fs::File::create(path).with_context(ctx)?;
    let mut buf = BufWriter::new(file);
    {
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[rows as u64, cols as u64])
            .writer(&mut buf)
            .begin_nd()
            .with_context(ctx)?;
        w.extend(items).with_context(ctx)?;
        w.finish().with_context(ctx)?;
    }
    buf.flush().with_context(ctx)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a version-1 npy file with the given header dict and data.
    fn raw_npy(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut header = dict.to_string();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    fn err_of(bytes: &[u8]) -> String {
        format!("{:#}", parse_matrix(bytes).unwrap_err())
    }

    #[test]
    fn round_trip_f32_f64_i8() {
        let dir = tempfile::tempdir().unwrap();
        let m = Mat::from_vec(2, 3, vec![0.5, -1.25, 3.0, 0.0, 1e-3, -7.0]);
        let p = dir.path().join("a.npy");
        write_f32(&p, &m).unwrap();
        let back = read_matrix(&p).unwrap();
        let NpyMatrix::Real(r) = back else {
            panic!("float32 must read as real")
        };
        assert_eq!((r.rows, r.cols), (2, 3));
        for (a, b) in m.data.iter().zip(&r.data) {
            assert_eq!(*a as f32 as f64, *b);
        }
        write_f64(&p, &m).unwrap();
        assert_eq!(read_matrix(&p).unwrap(), NpyMatrix::Real(m));
        let i = Mat::from_vec(3, 2, vec![-128, 127, 0, 1, -1, 5]);
        write_i8(&p, &i).unwrap();
        assert_eq!(read_matrix(&p).unwrap(), NpyMatrix::Int(i));
        assert!(write_i8(&p, &Mat::from_vec(1, 1, vec![128])).is_err());
    }

    #[test]
    fn wider_ints_and_big_endian_are_read() {
        let mut data = vec![];
        for x in [1i16, -300, 7, 0] {
            data.extend(x.to_le_bytes());
        }
        let b = raw_npy(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }",
            &data,
        );
        assert_eq!(
            parse_matrix(&b).unwrap(),
            NpyMatrix::Int(Mat::from_vec(2, 2, vec![1, -300, 7, 0]))
        );
        let mut data = vec![];
        for x in [1i32, -70000] {
            data.extend(x.to_le_bytes());
        }
        let b = raw_npy(
            "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }",
            &data,
        );
        assert_eq!(
            parse_matrix(&b).unwrap(),
            NpyMatrix::Int(Mat::from_vec(1, 2, vec![1, -70000]))
        );
        let b = raw_npy(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }",
            &(1i64 << 40).to_le_bytes(),
        );
        assert!(err_of(&b).contains("does not fit a 32-bit integer"));
        let b = raw_npy(
            "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 1), }",
            &2.5f64.to_be_bytes(),
        );
        assert_eq!(
            parse_matrix(&b).unwrap(),
            NpyMatrix::Real(Mat::from_vec(1, 1, vec![2.5]))
        );
    }

    #[test]
    fn zero_rows_are_a_valid_empty_matrix() {
        let b = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }",
            &[],
        );
        assert_eq!(parse_matrix(&b).unwrap().shape(), (0, 4));
    }

    #[test]
    fn truncated_data_is_an_error() {
        let b = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
            &[0u8; 12],
        );
        let e = err_of(&b);
        assert!(e.contains("truncated") && e.contains("16"), "{e}");
    }

    #[test]
    fn truncated_header_and_preamble_are_errors() {
        let full = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
            &[0u8; 16],
        );
        for cut in [7, 9, 11, 40, 63] {
            let e = err_of(&full[..cut]);
            assert!(e.contains("truncated"), "cut {cut}: {e}");
        }
        assert!(err_of(&[]).contains("not a NumPy"));
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let b = raw_npy(
            "{'descr': '<i1', 'fortran_order': False, 'shape': (1, 2), }",
            &[1, 2, 3],
        );
        assert!(err_of(&b).contains("trailing"));
    }

    #[test]
    fn non_npy_file_is_an_error() {
        let e = err_of(b"this is a text file, not numpy\n");
        assert!(e.contains("not a NumPy .npy file"), "{e}");
        let mut b = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",
            &[0u8; 4],
        );
        b[6] = 9;
        assert!(err_of(&b).contains("version 9"));
        let b = raw_npy("garbage header without a dict", &[]);
        assert!(err_of(&b).contains("not a valid .npy"), "{}", err_of(&b));
    }

    #[test]
    fn wrong_ndim_is_an_error() {
        let b = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
            &[0u8; 16],
        );
        let e = err_of(&b);
        assert!(e.contains("1 dimension") && e.contains("2-D"), "{e}");
        let b = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }",
            &[0u8; 16],
        );
        assert!(err_of(&b).contains("3 dimensions"));
        let b = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
            &[0u8; 4],
        );
        assert!(err_of(&b).contains("0 dimensions"));
    }

    #[test]
    fn unsupported_dtype_is_an_error() {
        for descr in ["<u1", "<f2", "|b1", "<c8", "<U3"] {
            let b = raw_npy(
                &format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1, 1), }}"),
                &[0u8; 16],
            );
            let e = err_of(&b);
            assert!(e.contains("unsupported dtype"), "{descr}: {e}");
        }
        let b = raw_npy(
            "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1, 1), }",
            &[0u8; 8],
        );
        assert!(err_of(&b).contains("structured dtype"), "{}", err_of(&b));
    }

    #[test]
    fn fortran_order_is_an_error() {
        let b = raw_npy(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
            &[0u8; 16],
        );
        assert!(err_of(&b).contains("Fortran"));
    }

    #[test]
    fn huge_shapes_do_not_allocate_or_overflow() {
        let b = raw_npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551615, 3), }",
            &[],
        );
        assert!(err_of(&b).contains("too large"), "{}", err_of(&b));
        let b = raw_npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            &[],
        );
        assert!(err_of(&b).contains("too large"), "{}", err_of(&b));
        let b = raw_npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }",
            &[0u8; 8],
        );
        assert!(err_of(&b).contains("truncated"), "{}", err_of(&b));
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = format!(
            "{:#}",
            read_matrix(Path::new("/nonexistent/q.npy")).unwrap_err()
        );
        assert!(e.contains("/nonexistent/q.npy"), "{e}");
    }
}
