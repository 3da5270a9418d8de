# Settings every target that uses Qt shares.
function(attnviz_setup_qt_target target)
    set_target_properties(${target} PROPERTIES AUTOMOC ON)
    target_compile_definitions(${target} PRIVATE
        QT_NO_CAST_FROM_ASCII
        QT_USE_QSTRINGBUILDER)
endfunction()
