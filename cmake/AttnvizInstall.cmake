# What `cmake --install` and `cpack -G DEB` put where (docs/install.md). Everything is found at
# run time relative to bin/, so the build tree, an installed prefix and a moved prefix all work.
include(GNUInstallDirs)

set(ATTNVIZ_APP_ID org.attnviz.attnviz)
set(ATTNVIZ_HOMEPAGE_URL "https://github.com/attnviz/attnviz" CACHE STRING "Home page (AppStream)")
set(ATTNVIZ_BUGTRACKER_URL "${ATTNVIZ_HOMEPAGE_URL}/issues" CACHE STRING "Bug tracker (AppStream)")
set(ATTNVIZ_SCREENSHOT_URL "https://raw.githubusercontent.com/attnviz/attnviz/main/docs/images"
    CACHE STRING "Where the screenshots in docs/images are published (AppStream)")

install(TARGETS attnviz attnviz-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS attnviz-cli-figures LIBRARY DESTINATION ${ATTNVIZ_FIGURES_DIR})
install(DIRECTORY sample_models/ DESTINATION ${CMAKE_INSTALL_DATADIR}/attnviz/sample_models
    FILES_MATCHING PATTERN "*.safetensors" PATTERN "*.md")
install(DIRECTORY sample_runs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/attnviz/sample_runs
    FILES_MATCHING PATTERN "*.safetensors" PATTERN "*.md")

# Desktop integration: the menu entry, the icon in the hicolor theme, AppStream, MIME.
install(FILES resources/${ATTNVIZ_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES resources/attnviz.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
    RENAME ${ATTNVIZ_APP_ID}.svg)
foreach(size 16 32 48 64 128 256)
    install(FILES resources/icons/attnviz-${size}.png
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps RENAME ${ATTNVIZ_APP_ID}.png)
endforeach()
configure_file(resources/${ATTNVIZ_APP_ID}.metainfo.xml.in ${CMAKE_BINARY_DIR}/share/${ATTNVIZ_APP_ID}.metainfo.xml @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/share/${ATTNVIZ_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES resources/attnviz-mime.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages
    RENAME ${ATTNVIZ_APP_ID}.xml)

# Man pages and the bash completion, made by the programs themselves: attnviz-cli prints both
# from its command specs; help2man reads the window's --help (QCommandLineParser).
set(manDir ${CMAKE_BINARY_DIR}/share/man/man1)
set(completionFile ${CMAKE_BINARY_DIR}/share/bash-completion/completions/attnviz-cli)
add_custom_command(OUTPUT ${manDir}/attnviz-cli.1
    COMMAND ${CMAKE_COMMAND} -E make_directory ${manDir}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
        ${CMAKE_COMMAND} -DOUTPUT=${manDir}/attnviz-cli.1 -P ${PROJECT_SOURCE_DIR}/cmake/capture.cmake
        -- $<TARGET_FILE:attnviz-cli> --manpage
    DEPENDS attnviz-cli ${PROJECT_SOURCE_DIR}/cmake/capture.cmake
    COMMENT "Writing the man page attnviz-cli(1)" VERBATIM)
add_custom_command(OUTPUT ${completionFile}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/share/bash-completion/completions
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
        ${CMAKE_COMMAND} -DOUTPUT=${completionFile} -P ${PROJECT_SOURCE_DIR}/cmake/capture.cmake
        -- $<TARGET_FILE:attnviz-cli> --bash-completion
    DEPENDS attnviz-cli ${PROJECT_SOURCE_DIR}/cmake/capture.cmake
    COMMENT "Writing the bash completion of attnviz-cli" VERBATIM)
set(generatedDocs ${manDir}/attnviz-cli.1 ${completionFile})

find_program(ATTNVIZ_HELP2MAN help2man)
if(ATTNVIZ_HELP2MAN)
    add_custom_command(OUTPUT ${manDir}/attnviz.1
        COMMAND ${CMAKE_COMMAND} -E make_directory ${manDir}
        COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0 QT_QPA_PLATFORM=offscreen
            ${ATTNVIZ_HELP2MAN} --no-info --section=1
            "--name=see the attention of a neural translation model"
            --include=${PROJECT_SOURCE_DIR}/resources/attnviz.h2m
            --output=${manDir}/attnviz.1 $<TARGET_FILE:attnviz>
        DEPENDS attnviz ${PROJECT_SOURCE_DIR}/resources/attnviz.h2m
        COMMENT "Writing the man page attnviz(1)" VERBATIM)
    list(APPEND generatedDocs ${manDir}/attnviz.1)
    install(FILES ${manDir}/attnviz.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
    message(WARNING "help2man not found: attnviz(1) is not built (scripts/setup.sh installs it)")
endif()
add_custom_target(attnviz-docs ALL DEPENDS ${generatedDocs})
install(FILES ${manDir}/attnviz-cli.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${completionFile} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# Documentation, the licences and the data attribution.
install(FILES README.md LICENSE resources/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES data/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME DATA.md)
# Help → Documentation opens share/doc/attnviz/gui.md (ui/models/helptext.cpp).
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB: a Debian package whose dependencies dpkg-shlibdeps computes from the binaries.
set(CPACK_PACKAGE_NAME attnviz)
set(CPACK_PACKAGE_VENDOR "The attnviz developers")
set(CPACK_PACKAGE_CONTACT "The attnviz developers <attnviz@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "see what an attention-based translation model does")
set(CPACK_PACKAGE_DESCRIPTION
    "attnviz opens a trained RNN translation model with attention, translates the sentence you type and shows the alignment matrix as a heatmap, the context vectors, and a model without attention beside it. attnviz-cli does the same without a window, for batches and figures.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-dejavu-core")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${ATTNVIZ_HOMEPAGE_URL})
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
include(CPack)
