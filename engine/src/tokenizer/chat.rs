//! Chat templates without a Jinja engine: the template string stored in a model
//! (`tokenizer.chat_template`) is *recognised*, as llama.cpp's `llm_chat_detect_template`
//! (src/llama-chat.cpp) does, and the conversation is formatted by hand-written code that produces
//! what the Jinja template would.
//!
//! Supported: ChatML (SmolLM2-Instruct, Qwen2, …) including a template's built-in default
//! system prompt, Llama-2 `[INST]` (and its `<<SYS>>` / BOS-in-history / strip variants), the
//! Zephyr `<|user|>` style (TinyLlama-Chat, with the EOS token as turn end), and Llama-3.
//!
//! Like llama.cpp's formatter, the output never contains the BOS token: the tokenizer adds it
//! (`encode(prompt, add_special = true, parse_special = true)`).

/// One chat turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    /// "system", "user" or "assistant".
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// A recognised chat template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatTemplate {
    /// `<|im_start|>role\ncontent<|im_end|>\n`. `default_system` is inserted as a first system turn
    /// when the conversation does not start with one, as SmolLM2's and Qwen2.5's templates do.
    ChatMl { default_system: Option<String> },
    /// `[INST] … [/INST]` (src/llama-chat.cpp LLM_CHAT_TEMPLATE_LLAMA_2*).
    Llama2 {
        /// `<<SYS>>` blocks for system messages.
        system: bool,
        /// `<s>` before each new `[INST]` after the first.
        bos_inside_history: bool,
        /// Trim message contents.
        strip: bool,
    },
    /// `<|role|>\ncontent{end}\n` … `<|assistant|>\n`; `end` is `<|endoftext|>` for
    /// Zephyr-style templates that spell it out, the EOS token (`</s>`) for those that write
    /// `eos_token` (TinyLlama-1.1B-Chat).
    Zephyr { end: String },
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>`.
    Llama3,
}

impl ChatTemplate {
    /// Recognise a Jinja chat template by tell-tale substrings (the order and tests of
    /// src/llama-chat.cpp `llm_chat_detect_template`, for the families supported here). Short
    /// names ("chatml", "llama2", "zephyr", "llama3", …) are accepted as well. `eos_text` is the
    /// model's EOS token text, for templates that end turns with `eos_token`.
    pub fn detect(tmpl: &str, eos_text: Option<&str>) -> Option<ChatTemplate> {
        let has = |s: &str| tmpl.contains(s);
        match tmpl {
            "chatml" => {
                return Some(ChatTemplate::ChatMl {
                    default_system: None,
                });
            }
            "llama2" | "llama2-sys" | "llama2-sys-bos" | "llama2-sys-strip" => {
                return Some(ChatTemplate::Llama2 {
                    system: tmpl != "llama2",
                    bos_inside_history: tmpl == "llama2-sys-bos",
                    strip: tmpl == "llama2-sys-strip",
                });
            }
            "zephyr" => {
                return Some(ChatTemplate::Zephyr {
                    end: "<|endoftext|>".into(),
                });
            }
            "llama3" => return Some(ChatTemplate::Llama3),
            _ => {}
        }
        if has("<|im_start|>") {
            // Phi-4 (<|im_sep|>) and SmolVLM (<end_of_utterance>) look similar but differ.
            if has("<|im_sep|>") || has("<end_of_utterance>") {
                return None;
            }
            return Some(ChatTemplate::ChatMl {
                default_system: chatml_default_system(tmpl),
            });
        }
        if tmpl.starts_with("mistral") || has("[INST]") {
            // The Mistral v1/v3/v7 variants are not supported.
            if has("[SYSTEM_PROMPT]")
                || has("' [INST] ' + system_message")
                || has("[AVAILABLE_TOOLS]")
            {
                return None;
            }
            return Some(ChatTemplate::Llama2 {
                system: has("<<SYS>>"),
                bos_inside_history: has("bos_token + '[INST]"),
                strip: has("content.strip()"),
            });
        }
        if has("<|assistant|>") && has("<|end|>") {
            return None; // Phi-3
        }
        if has("<|assistant|>") && has("<|user|>") {
            // llama.cpp files Zephyr-style templates that end turns with `eos_token` (TinyLlama,
            // HuggingFaceH4/zephyr) under GLM-Edge, whose output differs from what the Jinja
            // template renders; we render the template's own format.
            if has("eos_token") && !has("<|tool_declare|>") && !has("[gMASK]") {
                return Some(ChatTemplate::Zephyr {
                    end: eos_text.unwrap_or("</s>").to_string(),
                });
            }
            return None;
        }
        if has("<|user|>") && has("<|endoftext|>") {
            return Some(ChatTemplate::Zephyr {
                end: "<|endoftext|>".into(),
            });
        }
        if has("<|start_header_id|>") && has("<|end_header_id|>") {
            return Some(ChatTemplate::Llama3);
        }
        None
    }

    /// Format the conversation; `add_generation_prompt` opens an assistant turn at the end.
    pub fn apply(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> String {
        let mut s = String::new();
        match self {
            ChatTemplate::ChatMl { default_system } => {
                if let Some(sys) = default_system
                    && messages.first().is_some_and(|m| m.role != "system")
                {
                    s.push_str(&format!("<|im_start|>system\n{sys}<|im_end|>\n"));
                }
                for m in messages {
                    s.push_str(&format!(
                        "<|im_start|>{}\n{}<|im_end|>\n",
                        m.role, m.content
                    ));
                }
                if add_generation_prompt {
                    s.push_str("<|im_start|>assistant\n");
                }
            }
            ChatTemplate::Llama2 {
                system,
                bos_inside_history,
                strip,
            } => {
                // src/llama-chat.cpp, LLM_CHAT_TEMPLATE_LLAMA_2*: the first "[INST] " is
                // unconditional (BOS comes from the tokenizer); no generation prompt is needed
                // since a user turn ends with "[/INST]".
                let mut inside_turn = true;
                s.push_str("[INST] ");
                for m in messages {
                    let content = if *strip {
                        c_trim(&m.content)
                    } else {
                        m.content.as_str()
                    };
                    if !inside_turn {
                        inside_turn = true;
                        s.push_str(if *bos_inside_history {
                            "<s>[INST] "
                        } else {
                            "[INST] "
                        });
                    }
                    match m.role.as_str() {
                        "system" if *system => {
                            s.push_str(&format!("<<SYS>>\n{content}\n<</SYS>>\n\n"));
                        }
                        "system" => {
                            s.push_str(content);
                            s.push('\n');
                        }
                        "user" => {
                            s.push_str(content);
                            s.push_str(" [/INST]");
                        }
                        _ => {
                            s.push_str(content);
                            s.push_str("</s>");
                            inside_turn = false;
                        }
                    }
                }
            }
            ChatTemplate::Zephyr { end } => {
                for m in messages {
                    s.push_str(&format!("<|{}|>\n{}{end}\n", m.role, m.content));
                }
                if add_generation_prompt {
                    s.push_str("<|assistant|>\n");
                }
            }
            ChatTemplate::Llama3 => {
                for m in messages {
                    s.push_str(&format!(
                        "<|start_header_id|>{}<|end_header_id|>\n\n{}<|eot_id|>",
                        m.role,
                        c_trim(&m.content)
                    ));
                }
                if add_generation_prompt {
                    s.push_str("<|start_header_id|>assistant<|end_header_id|>\n\n");
                }
            }
        }
        s
    }
}

/// Trim ASCII whitespace (C `isspace`), as llama.cpp's `trim` in src/llama-chat.cpp.
fn c_trim(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r'))
}

/// Find a literal default system prompt in a ChatML template: a string literal
/// `'<|im_start|>system\n…<|im_end|>` whose body contains no quote or Jinja expression, as in
/// SmolLM2's `{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou
/// are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}`.
/// The `\n` may be a real newline or the two characters `\` `n` (a Jinja escape).
fn chatml_default_system(tmpl: &str) -> Option<String> {
    const OPEN: &str = "<|im_start|>system";
    let mut from = 0;
    while let Some(rel) = tmpl[from..].find(OPEN) {
        let after = from + rel + OPEN.len();
        from = after;
        let rest = &tmpl[after..];
        let body = if let Some(b) = rest.strip_prefix("\\n") {
            b
        } else if let Some(b) = rest.strip_prefix('\n') {
            b
        } else {
            continue;
        };
        let Some(end) = body.find("<|im_end|>") else {
            continue;
        };
        let literal = &body[..end];
        if literal.is_empty() || literal.contains(['\'', '"', '{', '}']) {
            continue;
        }
        return Some(literal.replace("\\n", "\n"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
    const TINYLLAMA: &str = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    const LLAMA3: &str = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";
    const LLAMA2: &str = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    fn msgs(v: &[(&str, &str)]) -> Vec<ChatMessage> {
        v.iter().map(|(r, c)| ChatMessage::new(*r, *c)).collect()
    }

    #[test]
    fn smollm2_default_system_prompt() {
        let t = ChatTemplate::detect(SMOLLM2, Some("<|im_end|>")).unwrap();
        assert_eq!(
            t,
            ChatTemplate::ChatMl {
                default_system: Some(
                    "You are a helpful AI assistant named SmolLM, trained by Hugging Face".into()
                )
            }
        );
        assert_eq!(
            t.apply(&msgs(&[("user", "Hi")]), true),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(
            t.apply(&msgs(&[("system", "Be brief."), ("user", "Hi")]), false),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        );
        // Escaped newline inside the Jinja literal.
        let escaped = SMOLLM2.replace("system\nYou", "system\\nYou");
        assert_eq!(ChatTemplate::detect(&escaped, None), Some(t));
    }

    #[test]
    fn tinyllama_zephyr_style() {
        let t = ChatTemplate::detect(TINYLLAMA, Some("</s>")).unwrap();
        assert_eq!(t, ChatTemplate::Zephyr { end: "</s>".into() });
        assert_eq!(
            t.apply(&msgs(&[("system", "S"), ("user", "Hi")]), true),
            "<|system|>\nS</s>\n<|user|>\nHi</s>\n<|assistant|>\n"
        );
    }

    #[test]
    fn llama3_and_llama2() {
        let t = ChatTemplate::detect(LLAMA3, None).unwrap();
        assert_eq!(t, ChatTemplate::Llama3);
        assert_eq!(
            t.apply(&msgs(&[("user", " Hi \n")]), true),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        );
        let t = ChatTemplate::detect(LLAMA2, None).unwrap();
        assert_eq!(
            t,
            ChatTemplate::Llama2 {
                system: true,
                bos_inside_history: true,
                strip: true
            }
        );
        assert_eq!(
            t.apply(
                &msgs(&[
                    ("system", "S"),
                    ("user", " a "),
                    ("assistant", "b"),
                    ("user", "c")
                ]),
                true
            ),
            "[INST] <<SYS>>\nS\n<</SYS>>\n\na [/INST]b</s><s>[INST] c [/INST]"
        );
    }

    #[test]
    fn unknown_templates() {
        assert_eq!(ChatTemplate::detect("{{ messages }}", None), None);
        assert_eq!(ChatTemplate::detect("<|im_start|><|im_sep|>", None), None);
    }
}
