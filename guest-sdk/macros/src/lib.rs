//! `#[udf]`: the attribute that makes a plain Rust function a wasp SQL function.
//! Use it through the SDK, `wasp_guest::udf` (see the `wasp-guest` crate docs):
//!
//! ```ignore
//! #[wasp::udf]
//! fn mask_email(email: &str) -> Result<String, &'static str> { ... }
//!
//! wasp::export!(mask_email);
//! ```
//!
//! The function stays as written. Beside it the attribute defines a struct of the
//! same name (a type, so the names do not clash) that implements
//! `ScalarFunction`, with the batch loop of the SDK's `plain_function!`;
//! `export!(name, ...)` registers those structs and exports the component.
//!
//! Options: `#[udf(name = "sql_name")]` for a SQL name other than the Rust one,
//! `#[udf(crate = "path")]` when the SDK is not a dependency named `wasp` (for
//! instance `crate = "wasp_guest"`).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Error, Expr, ExprLit, FnArg, ItemFn, Lit, LitStr, Meta, Pat, ReturnType, Token};

/// Makes a plain function a SQL function of the module; see the crate docs.
#[proc_macro_attribute]
pub fn udf(attr: proc_macro::TokenStream, item: proc_macro::TokenStream) -> proc_macro::TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The options of the attribute.
struct Options {
    name: Option<LitStr>,
    krate: syn::Path,
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Options> {
        let mut options = Options { name: None, krate: syn::parse_quote!(::wasp) };
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated(input)? {
            let Meta::NameValue(nv) = &meta else {
                return Err(Error::new(meta.span(), "expected `name = \"...\"` or `crate = \"...\"`"));
            };
            let Expr::Lit(ExprLit { lit: Lit::Str(value), .. }) = &nv.value else {
                return Err(Error::new(nv.value.span(), "expected a string literal"));
            };
            if nv.path.is_ident("name") {
                options.name = Some(value.clone());
            } else if nv.path.is_ident("crate") {
                options.krate = value.parse()?;
            } else {
                return Err(Error::new(nv.path.span(), "unknown option: expected `name` or `crate`"));
            }
        }
        Ok(options)
    }
}

/// The expansion, on `proc_macro2` tokens so that it unit-tests natively.
fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options: Options = syn::parse2(attr)?;
    let function: ItemFn = syn::parse2(item)?;
    let sig = &function.sig;
    if let Some(asyncness) = &sig.asyncness {
        return Err(Error::new(asyncness.span(), "a SQL function cannot be async"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(Error::new(sig.generics.span(), "a SQL function cannot be generic (lifetimes are elided instead)"));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(Error::new(variadic.span(), "a SQL function cannot be variadic"));
    }
    let mut names = Vec::new();
    let mut types = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => return Err(Error::new(r.span(), "a SQL function takes no `self`")),
            FnArg::Typed(arg) => match &*arg.pat {
                Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                    names.push(ident.ident.clone());
                    types.push((*arg.ty).clone());
                }
                other => return Err(Error::new(other.span(), "parameters are plain names (no patterns)")),
            },
        }
    }
    let ReturnType::Type(_, ret) = &sig.output else {
        return Err(Error::new(sig.span(), "a SQL function returns a value: add `-> T`"));
    };
    let ident = &sig.ident;
    let sql_name = match &options.name {
        Some(name) => quote!(#name),
        None => {
            let name = LitStr::new(&ident.to_string(), Span::call_site());
            quote!(#name)
        }
    };
    let docs: Vec<TokenStream> = function
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => {
                let value = &nv.value;
                Some(quote!(#value))
            }
            _ => None,
        })
        .collect();
    let krate = &options.krate;
    Ok(quote! {
        #function

        #krate::plain_function!(#ident, #sql_name, #ident, (#(#names: #types),*) -> #ret, [#(#docs),*]);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(attr: &str, item: &str) -> Result<String, String> {
        expand(attr.parse().unwrap(), item.parse().unwrap()).map(|t| t.to_string()).map_err(|e| e.to_string())
    }

    #[test]
    fn keeps_the_function_and_adds_its_struct() {
        let out = expanded("", "/// Masks.\nfn mask_email(email: &str) -> String { email.into() }").unwrap();
        assert!(out.starts_with("# [doc = \" Masks.\"] fn mask_email (email : & str) -> String"), "{out}");
        assert!(
            out.contains(
                ":: wasp :: plain_function ! (mask_email , \"mask_email\" , mask_email , (email : & str) -> String , [\" Masks.\"])"
            ),
            "{out}"
        );
    }

    #[test]
    fn options_rename_and_repath() {
        let out =
            expanded(r#"name = "mask", crate = "wasp_guest""#, "fn m(e: Option<&str>) -> Option<String> { None }")
                .unwrap();
        assert!(out.contains("wasp_guest :: plain_function ! (m , \"mask\" , m ,"), "{out}");
    }

    #[test]
    fn refuses_what_a_sql_function_cannot_be() {
        let cases = [
            ("", "async fn f(x: i32) -> i32 { x }", "cannot be async"),
            ("", "fn f<T>(x: T) -> i32 { 0 }", "cannot be generic"),
            ("", "fn f(&self) -> i32 { 0 }", "no `self`"),
            ("", "fn f((a, b): (i32, i32)) -> i32 { a }", "plain names"),
            ("", "fn f(x: i32) { }", "returns a value"),
            ("nme = \"x\"", "fn f(x: i32) -> i32 { x }", "unknown option"),
            ("name = 3", "fn f(x: i32) -> i32 { x }", "string literal"),
        ];
        for (attr, item, message) in cases {
            let err = expanded(attr, item).unwrap_err();
            assert!(err.contains(message), "{item}: {err}");
        }
    }
}
